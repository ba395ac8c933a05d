/**
 * conmon's attach socket is a SOCK_SEQPACKET socket, which Node's `net`
 * module cannot open. This small Perl program (perl-base is part of every
 * Debian system) connects to it and relays, so packet boundaries survive:
 *
 * - it prints an empty frame once connected, then each packet from conmon
 *   as a frame: 4-byte big-endian length, then the packet. conmon starts each
 *   packet with the pipe it came from (2 stdout, 3 stderr), then up to 8192
 *   bytes of output;
 * - with `stdin` (second argument "1") a forked reader sends what it reads on
 *   stdin as packets of at most 8192 bytes (conmon reads 32 KiB at most) and,
 *   at end of input, shuts the socket down for writing: conmon then closes
 *   the container's stdin unless it was started with --leave-stdin-open.
 *
 * The first argument is the socket's path, relative to the working
 * directory so it fits sun_path however deep the bundle is.
 */
export const RELAY_SCRIPT = String.raw`
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_SEQPACKET SHUT_WR pack_sockaddr_un);
$SIG{PIPE} = 'IGNORE';
my ($path, $with_stdin) = @ARGV;
socket(my $sock, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
connect($sock, pack_sockaddr_un($path)) or die "cannot connect to $path: $!\n";
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
