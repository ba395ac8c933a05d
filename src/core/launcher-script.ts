/**
 * The process launcher's program (see launcher.ts). perl-base is part of
 * every Debian system, and a perl process of a few MiB forks in a fraction of
 * the time the daemon's large Node process takes (fork copies the page
 * tables, and Node's spawn blocks the event loop meanwhile).
 *
 * Protocol, one line per message, each field base64 ("-" for none):
 *
 *   berthd → launcher  R <id> <cwd> <input> <env> <file> <arg>...
 *                      A <id> <socket dir> <token>
 *                      C <id> <socket dir> <token> <cwd> <env> <file> <arg>...
 *                      K <id> <signal number>
 *   launcher → berthd  D <id> <exit code> <signal number> <stdout> <stderr>
 *                      E <id> <errno name> <message>
 *
 * <env> is the whole environment, NUL-separated NAME=value pairs; "-" keeps
 * the launcher's own (the daemon's at the time it started the launcher).
 * A D comes once the program exited and closed its output, as Node's
 * 'close'; an E when it could not be started (chdir or exec failed). The
 * launcher says "ready" once it runs, and exits at the end of its input.
 *
 * A is an attach relay (conmon's attach socket is SOCK_SEQPACKET, which Node
 * cannot open; see runtime/attach): a forked launcher, no new program, that
 * connects to <socket dir>/relays.sock (the daemon's) and sends "<token>\n",
 * then waits for the daemon's "<stdin 1|0> <attach dir>\n" (it is started
 * while the container is being created), connects to <attach dir>/attach,
 * sends an empty frame, then each packet from conmon as a frame (4-byte
 * big-endian length, then the packet) and, with stdin 1, what the daemon
 * writes as packets to conmon; the daemon's end of input shuts the attach
 * socket down for writing. It ends as a program does (D), with why on its
 * stderr when it could not connect.
 *
 * C runs a program as R does, with a connection to the daemon's relay
 * socket (sent "<token>\n" first) as its fds 3 and 4: conmon's sync and
 * start pipes, which Node's spawn would otherwise make.
 *
 *   berthd → launcher  S <id> <cwd> <call> <arg>...
 *
 * S makes a kernel call with no program, in a launcher worker (with a <cwd>,
 * in a forked launcher of its own): what mount(8), umount(8), ip(8) and
 * rm(1) would do, without their start-up and their reading of the mount
 * table, several ms each on the way of every container. It ends as a
 * program does (D): exit code 0, or 1 with "<errno name> <why>" on its
 * stderr; ENOSYS where the launcher knows no system call numbers.
 *   mount <source> <target> <fstype> <flags> <data>   mount(2)
 *   umount <target> <flags>                            umount2(2)
 *   umount-all <target>   umount2(2) until nothing is mounted on <target>
 *   netns <file>   a new network namespace, loopback up, bound on <file>
 *   link-del <name>   the host's network interface <name> deleted (none is fine)
 *   rm-tree <path>    rm -rf <path>, links not followed
 */
export const LAUNCHER_SCRIPT = String.raw`
use strict;
use warnings;
use POSIX ();
use IO::Select;
use MIME::Base64 qw(encode_base64 decode_base64);
use Errno ();
use Socket qw(AF_UNIX SOCK_STREAM SOCK_SEQPACKET SHUT_WR pack_sockaddr_un);

$SIG{PIPE} = 'IGNORE';
binmode STDIN; binmode STDOUT;
my %errname = map { my $v = eval { no strict 'refs'; &{"Errno::$_"}() }; defined $v ? ($v => $_) : () } @Errno::EXPORT_OK;
pipe(my $wake_r, my $wake_w) or die "pipe: $!\n";
for ($wake_r, $wake_w) { my $fl = fcntl($_, POSIX::F_GETFL(), 0); fcntl($_, POSIX::F_SETFL(), $fl | POSIX::O_NONBLOCK()); }
$SIG{CHLD} = sub { syswrite($wake_w, "x") };

my $sel = IO::Select->new($wake_r, \*STDIN);
my (%jobs, %by_fh, %by_pid, %status);
my $inbuf = '';
my $outbuf = '';
syswrite(STDOUT, "ready\n");

sub dec { my ($f) = @_; return undef if $f eq '-'; return decode_base64($f); }
sub enc { my ($s) = @_; return '-' unless defined $s && length $s; return encode_base64($s, ''); }

sub reply { $outbuf .= join(' ', @_) . "\n"; flush_out(); }
sub flush_out {
  while (length $outbuf) {
    my $w = syswrite(STDOUT, $outbuf);
    if (!defined $w) { return if $! == Errno::EAGAIN(); exit 0; }
    substr($outbuf, 0, $w, '');
  }
}

sub start_job {
  my ($id, $cwd, $input, $env, $file, @args) = @_;
  start_process($id, $input, sub {
    if (defined $cwd && !chdir($cwd)) { return "chdir $cwd: $!"; }
    if (defined $env) { %ENV = map { my ($k, $v) = split(/=/, $_, 2); ($k => $v // '') } grep { length } split(/\0/, $env); }
    { no warnings 'exec'; exec { $file } $file, @args; }
    return "exec $file: $!";
  }, 1);
}

sub start_connected {
  my ($id, $sockdir, $token, $cwd, $env, $file, @args) = @_;
  start_process($id, undef, sub {
    chdir($sockdir) or return "chdir $sockdir: $!";
    socket(my $up, AF_UNIX, SOCK_STREAM, 0) or return "socket: $!";
    connect($up, pack_sockaddr_un('relays.sock')) or return "cannot reach the daemon's relay socket: $!";
    defined(syswrite($up, "$token\n")) or return "cannot write to the daemon's relay socket: $!";
    if (defined $cwd && !chdir($cwd)) { return "chdir $cwd: $!"; }
    if (defined $env) { %ENV = map { my ($k, $v) = split(/=/, $_, 2); ($k => $v // '') } grep { length } split(/\0/, $env); }
    # dup2 onto 3 and 4 closes whatever is there; the socket itself moves out of the way first.
    my $fd = POSIX::dup2(fileno($up), 9) or return "dup2: $!";
    POSIX::dup2(9, 3) // return "dup2: $!";
    POSIX::dup2(9, 4) // return "dup2: $!";
    POSIX::close(9);
    { no warnings 'exec'; exec { $file } $file, @args; }
    return "exec $file: $!";
  }, 1);
}

sub start_relay {
  my ($id, @args) = @_;
  start_process($id, undef, sub {
    # Forked, not exec'd: the launcher's other descriptors must not stay open here.
    opendir(my $fds, '/proc/self/fd');
    my @open = grep { /^\d+$/ && $_ > 2 } readdir($fds);
    closedir($fds);
    POSIX::close($_) for @open;
    my $code = eval { relay(@args); 0 } // do { print STDERR $@; 1 };
    POSIX::_exit($code);
  }, 0);
}

sub relay {
  my ($sockdir, $token) = @_;
  $SIG{PIPE} = 'IGNORE';
  chdir($sockdir) or die "cannot enter $sockdir: $!\n";
  socket(my $up, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
  connect($up, pack_sockaddr_un('relays.sock')) or die "cannot reach the daemon's relay socket: $!\n";
  defined(syswrite($up, "$token\n")) or die "cannot write to the daemon's relay socket: $!\n";
  # The daemon says where to connect once the container exists: "<stdin 1|0> <dir>\n".
  # Read a byte at a time: stdin for the container may follow the line at once.
  my $line = '';
  while ($line !~ /\n\z/) {
    my $n = sysread($up, my $byte, 1);
    POSIX::_exit(0) unless $n;
    $line .= $byte;
  }
  chomp $line;
  my ($with_stdin, $dir) = split(/ /, $line, 2);
  chdir($dir) or die "cannot enter $dir: $!\n";
  socket(my $sock, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
  connect($sock, pack_sockaddr_un('attach')) or die "cannot connect to $dir/attach: $!\n";
  my $put = sub {
    my ($data) = @_;
    my $off = 0;
    while ($off < length $data) {
      my $w = syswrite($up, $data, length($data) - $off, $off);
      POSIX::_exit(0) unless defined $w;
      $off += $w;
    }
  };
  $put->(pack('N', 0));
  my $reader = 0;
  if ($with_stdin) {
    $reader = fork() // die "fork: $!\n";
    if ($reader == 0) {
      my $buf;
      while (1) {
        my $n = sysread($up, $buf, 8192);
        last if !defined($n) || $n == 0;
        defined(send($sock, $buf, 0)) or last;
      }
      shutdown($sock, SHUT_WR);
      POSIX::_exit(0);
    }
  }
  $SIG{TERM} = sub { kill 'TERM', $reader if $reader; POSIX::_exit(0) };
  my $packet;
  while (1) {
    my $n = sysread($sock, $packet, 65536);
    last if !defined($n) || $n == 0;
    $put->(pack('N', $n) . $packet);
  }
  kill 'TERM', $reader if $reader;
}

# The system calls S makes, by architecture (the generic table for arm64 and riscv64).
my %nr = do {
  my $machine = (POSIX::uname())[4];
  $machine eq 'x86_64' ? (mount => 165, umount2 => 166, unshare => 272, setns => 308)
    : $machine =~ /^(aarch64|riscv64)\z/ ? (mount => 40, umount2 => 39, unshare => 97, setns => 268)
    : ();
};

# Kernel calls run in workers: launcher children that wait for calls, each made in turn,
# so that no call pays for a fork (a fork of perl copies the pages its reference counts
# touch, about a ms each time). A call finds an idle worker, or a new one while there are
# fewer than four (a slow unmount holds one up), or else a child of its own. Workers idle
# for 10 s end.
my (%workers, @idle_workers);
my $max_workers = 4;
my $worker_idle_seconds = $ENV{BERTH_LAUNCHER_WORKER_IDLE} // 10;

sub send_kernel_call {
  my ($id, $cwd, @fields) = @_;
  my $w;
  unless (defined dec($cwd)) {
    $w = pop(@idle_workers);
    $w //= new_worker() if keys(%workers) < $max_workers;
  }
  if ($w) { $w->{id} = $id; syswrite($w->{to}, join(' ', $id, @fields) . "\n"); return; }
  start_kernel_call($id, map { dec($_) } $cwd, @fields);
}

sub new_worker {
  pipe(my $calls_r, my $calls_w) or return undef;
  pipe(my $answers_r, my $answers_w) or return undef;
  my $pid = fork();
  return undef unless defined $pid;
  if ($pid == 0) {
    # Nothing of the launcher's stays open here (a program's pipes would not see their end).
    my %keep = (fileno($calls_r) => 1, fileno($answers_w) => 1);
    opendir(my $fds, '/proc/self/fd');
    my @open = grep { /^\d+$/ && $_ > 2 && !$keep{$_} } readdir($fds);
    closedir($fds);
    POSIX::close($_) for @open;
    open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null');
    $SIG{CHLD} = 'DEFAULT';
    work($calls_r, $answers_w);
    POSIX::_exit(0);
  }
  close($calls_r); close($answers_w);
  my $w = { pid => $pid, to => $calls_w, from => $answers_r, buf => '', id => undef };
  $workers{fileno($answers_r)} = $w;
  $sel->add($answers_r);
  return $w;
}

# A worker: "<id> <call> <arg>..." in, "<id> -" (done) or "<id> <base64 errno-name why>" out.
sub work {
  my ($calls, $answers) = @_;
  # Each netns call moves the worker into the namespace it makes: back home after each one,
  # or the namespace would outlive its container for as long as the worker stays there.
  open(my $home, '<', '/proc/self/ns/net');
  my $buf = '';
  while (1) {
    my $n = sysread($calls, my $chunk, 65536);
    next if !defined($n) && $! == Errno::EINTR();
    return unless $n;
    $buf .= $chunk;
    while ($buf =~ s/^([^\n]*)\n//) {
      my ($id, @f) = split(/ /, $1);
      my ($call, @args) = map { dec($_) // '' } @f;
      my $failed = guarded_kernel_call($call, @args);
      # Stuck in a container's namespace: this call is answered, and the worker ends.
      my $stuck = $call eq 'netns' && $home && syscall($nr{setns}, fileno($home), 0x40000000) != 0;
      $failed //= [Errno::EIO(), "cannot return to the host's network namespace: $!"] if $stuck;
      syswrite($answers, "$id " . ($failed ? enc(failure_text($failed)) : '-') . "\n");
      return if $stuck;
    }
  }
}

# A worker's answer to the daemon, as a program's end: exit 0, or 1 with why on stderr.
sub answered {
  my ($w, $fh) = @_;
  my $n = sysread($fh, my $buf, 65536);
  return if !defined($n) && ($! == Errno::EINTR() || $! == Errno::EAGAIN());
  if (!$n) {
    $sel->remove($fh); delete $workers{fileno($fh)}; close($fh); close($w->{to});
    @idle_workers = grep { $_ != $w } @idle_workers;
    reply('D', $w->{id}, 1, 0, '-', enc("EIO the launcher's worker ended")) if defined $w->{id};
    return;
  }
  $w->{buf} .= $buf;
  while ($w->{buf} =~ s/^([^\n]*)\n//) {
    my ($id, $answer) = split(/ /, $1);
    reply('D', $id, $answer eq '-' ? 0 : 1, 0, '-', $answer);
    $w->{id} = undef;
    $w->{idle_since} = time;
    push @idle_workers, $w;
  }
}

# Workers idle for 10 s (BERTH_LAUNCHER_WORKER_IDLE) end, each holding some MiB: the
# launcher closes their input, never while a call may be on its way to them.
sub retire_idle_workers {
  my $now = time;
  # A copy of the list, not grep's aliases into @idle_workers: the loop frees what they point at.
  my @retiring = grep { $now - $_->{idle_since} >= $worker_idle_seconds } @idle_workers;
  for my $w (@retiring) {
    @idle_workers = grep { $_ != $w } @idle_workers;
    delete $workers{fileno($w->{from})};
    $sel->remove($w->{from});
    close($w->{from}); close($w->{to});
  }
}

# The child ends as a program would, and the launcher does not wait for it:
# exit 0, or 1 with "<errno name> <why>" on its stderr.
sub start_kernel_call {
  my ($id, $cwd, $call, @args) = @_;
  start_process($id, undef, sub {
    my $failed = defined $cwd && !chdir($cwd) ? [$! + 0, "chdir $cwd: $!"]
      : guarded_kernel_call($call // '', map { $_ // '' } @args);
    POSIX::_exit(0) unless $failed;
    syswrite(STDERR, failure_text($failed));
    POSIX::_exit(1);
  }, 0);
}

sub guarded_kernel_call {
  my @call = @_;
  my $failed = eval { kernel_call(@call) };
  return [Errno::EINVAL(), "$call[0]: $@"] if $@;
  return $failed;
}

# undef when done, else [errno, why]. Numbers go to syscall as numbers (0 + ...), strings as
# pointers to them (copies: syscall may write to them); a 0 is a NULL pointer.
sub failed { my ($why) = @_; return [$! + 0, "$why: $!"]; }

# What the daemon is told of a failed call: "<errno name> <why>".
sub failure_text { my ($failed) = @_; return ($errname{$failed->[0]} // 'EIO') . " $failed->[1]"; }

sub kernel_call {
  my ($call, @a) = @_;
  return [Errno::ENOSYS(), 'no system call numbers for this machine'] unless %nr;
  if ($call eq 'mount') {
    my ($source, $target, $type, $flags, $data) = @a;
    return undef if syscall($nr{mount}, $source, $target, $type, 0 + $flags, length $data ? $data : 0) == 0;
    return failed("mount $target");
  }
  if ($call eq 'umount') {
    my ($target, $flags) = @a;
    return undef if syscall($nr{umount2}, $target, 0 + $flags) == 0;
    return failed("umount $target");
  }
  if ($call eq 'umount-all') {
    # Every mount stacked on <target>, until the kernel says none is left there (EINVAL).
    my ($target) = @a;
    while (syscall($nr{umount2}, $target, 0) == 0) {}
    return undef if $! == Errno::EINVAL();
    return failed("umount $target");
  }
  if ($call eq 'netns') {
    my ($file) = @a;
    syscall($nr{unshare}, 0x40000000) == 0 or return failed('unshare');
    # ip link set lo up: SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP, on a struct ifreq of 40 bytes.
    socket(my $s, 2, 2, 0) or return failed('socket');
    my $ifr = pack('a16 x24', 'lo');
    ioctl($s, 0x8913, $ifr) or return failed('loopback flags');
    $ifr = pack('a16 S x22', 'lo', unpack('x16 S', $ifr) | 1);
    ioctl($s, 0x8914, $ifr) or return failed('loopback up');
    my ($self_ns, $none) = ('/proc/self/ns/net', 'none');
    return undef if syscall($nr{mount}, $self_ns, $file, $none, 4096, 0) == 0;
    return failed("bind the namespace on $file");
  }
  if ($call eq 'link-del') {
    # ip link delete <name>: RTM_DELLINK (17) by IFLA_IFNAME (3), acknowledged (NLM_F_REQUEST|NLM_F_ACK).
    my ($name) = @a;
    socket(my $nl, 16, 3, 0) or return failed('netlink socket');
    my $attr = pack('S S Z*', 4 + length($name) + 1, 3, $name);
    $attr .= "\0" x ((4 - length($attr) % 4) % 4);
    my $body = pack('C C S l L L', 0, 0, 0, 0, 0, 0) . $attr;
    defined(send($nl, pack('L S S L L', 16 + length($body), 17, 5, 1, 0) . $body, 0)) or return failed('netlink send');
    defined(recv($nl, my $answer, 8192, 0)) or return failed('netlink receive');
    my ($type, $error) = (unpack('x4 S', $answer), unpack('x16 l', $answer));
    # NLMSG_ERROR (2) carries the result: 0, or -ENODEV (19) for a link already gone.
    return undef if $type != 2 || $error == 0 || $error == -19;
    $! = -$error;
    return failed("delete link $name");
  }
  if ($call eq 'rm-tree') {
    my ($path) = @a;
    return remove_tree($path);
  }
  return [Errno::ENOSYS(), "no such call: $call"];
}

# rm -rf: lstat, never following a link; a path already gone is fine.
sub remove_tree {
  my ($path) = @_;
  unless (lstat($path)) { return $! == Errno::ENOENT() ? undef : failed("lstat $path"); }
  unless (-d _) { return unlink($path) || $! == Errno::ENOENT() ? undef : failed("unlink $path"); }
  opendir(my $dir, $path) or return failed("opendir $path");
  my @entries = grep { $_ ne '.' && $_ ne '..' } readdir($dir);
  closedir($dir);
  for my $entry (@entries) {
    my $failed = remove_tree("$path/$entry");
    return $failed if $failed;
  }
  return rmdir($path) || $! == Errno::ENOENT() ? undef : failed("rmdir $path");
}

sub start_process {
  my ($id, $input, $child, $report_exec) = @_;
  pipe(my $out_r, my $out_w) or return reply('E', $id, 'EMFILE', enc("pipe: $!"));
  pipe(my $err_r, my $err_w) or return reply('E', $id, 'EMFILE', enc("pipe: $!"));
  pipe(my $in_r, my $in_w) or return reply('E', $id, 'EMFILE', enc("pipe: $!"));
  pipe(my $fail_r, my $fail_w) or return reply('E', $id, 'EMFILE', enc("pipe: $!"));
  my $pid = fork();
  if (!defined $pid) { return reply('E', $id, $errname{$! + 0} // 'EAGAIN', enc("fork: $!")); }
  if ($pid == 0) {
    close($_) for ($out_r, $err_r, $in_w, $fail_r, $wake_r, $wake_w);
    $SIG{$_} = 'DEFAULT' for grep { $_ ne 'KILL' && $_ ne 'STOP' } keys %SIG;
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
    POSIX::dup2(fileno($in_r), 0); POSIX::dup2(fileno($out_w), 1); POSIX::dup2(fileno($err_w), 2);
    close($fail_w) unless $report_exec;
    # Out of the way of the low descriptors a child sets up (C's 3 and 4), still closed on exec.
    my $report;
    if ($report_exec) {
      POSIX::dup2(fileno($fail_w), 250);
      close($fail_w);
      open($report, '>&=', 250) or POSIX::_exit(127);
      fcntl($report, POSIX::F_SETFD(), POSIX::FD_CLOEXEC());
    }
    my $why = $child->();
    my $e = ($! + 0) || 1;
    syswrite($report, pack('N', $e) . $why) if $report;
    POSIX::_exit(127);
  }
  close($_) for ($out_w, $err_w, $in_r, $fail_w);
  # Whether the exec failed is read with the output, not waited for here: the next
  # program is forked meanwhile (a child takes a while to reach its exec).
  my $job = { id => $id, pid => $pid, out => '', err => '', fail => '', open => 3, input => $input // '', in => $in_w };
  # A relay reads no stdin.
  unless (defined $input) { close($in_w); $job->{in} = undef; }
  $jobs{$id} = $job; $by_pid{$pid} = $job;
  for ([$out_r, 'out'], [$err_r, 'err'], [$fail_r, 'fail']) { $by_fh{fileno($_->[0])} = [$job, $_->[1], $_->[0]]; $sel->add($_->[0]); }
  if ($job->{in}) { my $fl = fcntl($in_w, POSIX::F_GETFL(), 0); fcntl($in_w, POSIX::F_SETFL(), $fl | POSIX::O_NONBLOCK()); }
  feed($job);
}

sub feed {
  my ($job) = @_;
  return unless $job->{in};
  while (length $job->{input}) {
    my $w = syswrite($job->{in}, $job->{input});
    if (!defined $w) { return if $! == Errno::EAGAIN(); last; }
    substr($job->{input}, 0, $w, '');
  }
  close($job->{in}); $job->{in} = undef;
}

sub maybe_done {
  my ($job) = @_;
  return unless $job->{open} == 0 && defined $job->{status};
  if (length $job->{fail} >= 4) {
    delete $jobs{$job->{id}};
    my $errno = unpack('N', substr($job->{fail}, 0, 4));
    return reply('E', $job->{id}, $errname{$errno} // 'EIO', enc(substr($job->{fail}, 4)));
  }
  my $st = $job->{status};
  my ($code, $sig) = POSIX::WIFEXITED($st) ? (POSIX::WEXITSTATUS($st), 0) : (-1, POSIX::WTERMSIG($st));
  delete $jobs{$job->{id}};
  reply('D', $job->{id}, $code, $sig, enc($job->{out}), enc($job->{err}));
}

sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $job = delete $by_pid{$pid} or next;
    $job->{status} = $?;
    maybe_done($job);
  }
}

while (1) {
  for my $job (values %jobs) { feed($job) if $job->{in}; }
  # Writable ends worth waiting for: the reply pipe when replies wait, stdins with input left.
  my $wsel = IO::Select->new();
  $wsel->add(\*STDOUT) if length $outbuf;
  $wsel->add($_->{in}) for grep { $_->{in} } values %jobs;
  my @ready = IO::Select::select($sel, $wsel->count ? $wsel : undef, undef, 1);
  flush_out() if length $outbuf;
  reap();
  retire_idle_workers() if @idle_workers;
  next unless @ready && $ready[0];
  for my $fh (@{ $ready[0] }) {
    if ($fh == $wake_r) { sysread($wake_r, my $junk, 512); next; }
    if ($fh == \*STDIN) {
      my $n = sysread(STDIN, my $buf, 65536);
      if (!defined $n) { next if $! == Errno::EINTR() || $! == Errno::EAGAIN(); $n = 0; }
      if ($n == 0) { exit 0; }
      $inbuf .= $buf;
      while ($inbuf =~ s/^([^\n]*)\n//) {
        my @f = split(/ /, $1);
        my $op = shift @f;
        if ($op eq 'R') {
          my $id = shift @f;
          my ($cwd, $input, $env, $file, @args) = map { dec($_) } @f;
          start_job($id, $cwd, $input, $env, $file, map { $_ // '' } @args);
        } elsif ($op eq 'A') {
          my $id = shift @f;
          start_relay($id, map { dec($_) // '' } @f);
        } elsif ($op eq 'C') {
          my $id = shift @f;
          my ($sockdir, $token, $cwd, $env, $file, @args) = map { dec($_) } @f;
          start_connected($id, $sockdir, $token, $cwd, $env, $file, map { $_ // '' } @args);
        } elsif ($op eq 'S') {
          my $id = shift @f;
          send_kernel_call($id, @f);
        } elsif ($op eq 'K') {
          my $job = $jobs{$f[0]};
          kill($f[1], $job->{pid}) if $job && !defined $job->{status};
        }
      }
      next;
    }
    if (my $w = $workers{fileno($fh)}) { answered($w, $fh); next; }
    my $entry = $by_fh{fileno($fh)} or next;
    my ($job, $which) = @$entry;
    my $n = sysread($fh, my $buf, 65536);
    next if !defined($n) && ($! == Errno::EINTR() || $! == Errno::EAGAIN());
    if (!$n) { $sel->remove($fh); delete $by_fh{fileno($fh)}; close($fh); $job->{open}--; maybe_done($job); next; }
    $job->{$which} .= $buf;
  }
}
`;
