/**
 * The log keeper: a small Perl program (perl-base is part of every Debian
 * system, the attach relay uses it too) that writes a container's k8s-file
 * log and rotates it, Docker's json-file way, as the one writer of the files.
 *
 * conmon writes its records into a FIFO (`<log>.pipe`, made here); the
 * keeper reads them and appends whole records to `<log>`. Before a record
 * that would take `<log>` past max-size it rotates: `<log>.<max-file - 1>`
 * is removed, `.N` → `.N+1` from the oldest down, `<log>` → `.1`, and a new
 * `<log>` is created. The renames go from the oldest file to the newest, so
 * a reader that opens `<log>`, `.1`, `.2` … in that order never meets a
 * newer file under a higher number within one rotation. A file passes
 * max-size only by a single record longer than max-size (conmon's records
 * are at most 8 KiB of output plus the prefix), which gets a file of its own.
 *
 * Arguments: FIFO, log path, max-size, max-file. It takes an exclusive
 * lock on the log's directory first (a keeper from the container's previous
 * run finishes before this one writes), writes its pid to `<log>.keeper`,
 * makes the FIFO, prints "ready" and closes its stdout and stderr (it
 * outlives berthd), then blocks opening the FIFO until conmon opens it for
 * writing. At end of input (conmon exited, or berthd opened and closed the
 * FIFO for a container that never started) it writes what is left, fsyncs
 * the current file, removes the FIFO and `<log>.keeper`, and exits. A write that fails, or a file it
 * cannot make (a full disk, no free inode), drops those records, as conmon
 * does, and reading goes on: conmon is never held up or ended by it.
 */
export const KEEPER_SCRIPT = String.raw`
use strict;
use warnings;
use POSIX qw(mkfifo);
use Fcntl qw(O_RDONLY O_WRONLY O_APPEND O_CREAT O_DIRECTORY LOCK_EX);
$SIG{PIPE} = 'IGNORE';
my ($fifo, $log, $max_size, $max_file) = @ARGV;
(my $dir = $log) =~ s{/[^/]*\z}{};
sysopen(my $lock, $dir, O_RDONLY | O_DIRECTORY) or die "cannot open $dir: $!\n";
flock($lock, LOCK_EX) or die "cannot lock $dir: $!\n";
my $pidfile = "$log.keeper";
open(my $pf, '>', "$pidfile.tmp") or die "cannot write $pidfile: $!\n";
print $pf "$$\n";
close($pf) or die "cannot write $pidfile: $!\n";
rename("$pidfile.tmp", $pidfile) or die "cannot write $pidfile: $!\n";
unless (-p $fifo) {
  unlink($fifo);
  mkfifo($fifo, 0600) or die "cannot make $fifo: $!\n";
}
$| = 1;
print "ready\n";
open(STDOUT, '>', '/dev/null');
open(STDERR, '>', '/dev/null');
sysopen(my $in, $fifo, O_RDONLY) or exit 1;
# F_SETPIPE_SZ: a bigger pipe holds a burst while a rotation renames files.
fcntl($in, 1031, 1 << 20);
my ($out, $size);
sub open_log {
  if (sysopen($out, $log, O_WRONLY | O_APPEND | O_CREAT, 0600)) { $size = (-s $out) || 0; }
  else { undef $out; $size = 0; }
}
sub rotate {
  close($out) if $out;
  unlink("$log." . ($max_file - 1));
  for (my $n = $max_file - 2; $n >= 1; $n--) { rename("$log.$n", "$log." . ($n + 1)); }
  rename($log, "$log.1");
  open_log();
}
sub put {
  my ($data) = @_;
  # A file it could not make (no free inode) is tried again with each write.
  open_log() unless $out;
  return unless $out;
  my $off = 0;
  while ($off < length $data) {
    my $w = syswrite($out, $data, length($data) - $off, $off);
    return unless defined $w;
    $off += $w;
    $size += $w;
  }
}
open_log();
my $buf = '';
while (1) {
  my $n = sysread($in, $buf, 1 << 20, length $buf);
  if (!defined $n) { next if $!{EINTR}; last; }
  last if $n == 0;
  my $end = rindex($buf, "\n") + 1;
  next if $end == 0;
  my $off = 0;
  while ($off < $end) {
    my $room = $max_size - $size;
    my $take;
    if ($end - $off <= $room) { $take = $end - $off; }
    else {
      my $cut = $room > 0 ? rindex($buf, "\n", $off + $room - 1) : -1;
      if ($cut >= $off) { $take = $cut + 1 - $off; }
      elsif ($size > 0) { rotate(); next; }
      else { $take = index($buf, "\n", $off) + 1 - $off; }
    }
    put(substr($buf, $off, $take));
    $off += $take;
  }
  $buf = substr($buf, $end);
}
put($buf) if length $buf;
# As conmon does at the exit (before berthd records it): the last output is on disk.
if ($out) { require IO::Handle; $out->sync; }
unlink($fifo);
unlink($pidfile);
`;
