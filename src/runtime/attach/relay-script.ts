/**
 * conmon's attach socket is a SOCK_SEQPACKET socket, which Node's `net`
 * module cannot open. This small Perl program (perl-base is part of every
 * Debian system) connects to it and relays, so packet boundaries survive:
 *
 * - it prints an empty frame once connected, then each packet from conmon
 *   as a frame: 4-byte big-endian length, then the packet. conmon starts each
 *   packet with the pipe it came from (2 stdout, 3 stderr), then up to 8192
 *   bytes of output;
 * - with stdin "1" a forked reader sends what it reads on
 *   stdin as packets of at most 8192 bytes (conmon reads 32 KiB at most) and,
 *   at end of input, shuts the socket down for writing: conmon then closes
 *   the container's stdin unless it was started with --leave-stdin-open.
 *
 * It starts before it is told where to connect, so its start-up can overlap
 * the container's creation: it waits for one line on fd 3, "<stdin> <dir>"
 * (stdin "1" or "0"), then enters dir and connects to its socket `attach`,
 * a relative path so it fits sun_path however deep the bundle is. End of
 * input on fd 3 before that line: it exits without connecting.
 */
export const RELAY_SCRIPT = String.raw`
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_SEQPACKET SHUT_WR pack_sockaddr_un);
$SIG{PIPE} = 'IGNORE';
open(my $go, '<&=', 3) or die "go pipe: $!\n";
my $line = <$go>;
exit 0 unless defined $line && $line =~ /\n\z/;
close($go);
chomp $line;
my ($with_stdin, $dir) = split(/ /, $line, 2);
chdir($dir) or die "cannot enter $dir: $!\n";
socket(my $sock, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
connect($sock, pack_sockaddr_un('attach')) or die "cannot connect to $dir/attach: $!\n";
binmode STDOUT;
binmode STDIN;
sub put {
  my ($data) = @_;
  my $off = 0;
  while ($off < length $data) {
    my $w = syswrite(STDOUT, $data, length($data) - $off, $off);
    exit 0 unless defined $w;
    $off += $w;
  }
}
put(pack('N', 0));
my $reader = 0;
if ($with_stdin) {
  $reader = fork() // die "fork: $!\n";
  if ($reader == 0) {
    my $buf;
    while (1) {
      my $n = sysread(STDIN, $buf, 8192);
      last if !defined($n) || $n == 0;
      defined(send($sock, $buf, 0)) or last;
    }
    shutdown($sock, SHUT_WR);
    exit 0;
  }
}
$SIG{TERM} = sub { kill 'TERM', $reader if $reader; exit 0 };
my $packet;
while (1) {
  my $n = sysread($sock, $packet, 65536);
  last if !defined($n) || $n == 0;
  put(pack('N', $n) . $packet);
}
kill 'TERM', $reader if $reader;
exit 0;
`;
