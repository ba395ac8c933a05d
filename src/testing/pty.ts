import { runCommand } from './run.js';

/**
 * Drives a program on a real pseudo-terminal (python3's pty module): types
 * each input in turn, pausing between them so the program can answer, and
 * returns everything it printed and its exit code. An input "<resize>"
 * resizes the terminal to 40x120 and sends SIGWINCH instead of typing;
 * "<wait:TEXT>" waits (up to 30 s) until TEXT is printed after the last
 * input, so the next one is not typed before the program is ready for it.
 */
const DRIVER = `
import os, pty, sys, time, select, fcntl, termios, struct, json
inputs = json.loads(sys.argv[1]); pause = float(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
out = b''
def drain(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try: d = os.read(fd, 4096)
            except OSError: return False
            if not d: return False
            out += d
    return True
alive = drain(pause)
mark = 0
for item in inputs:
    if not alive: break
    if item.startswith('<wait:') and item.endswith('>'):
        text = item[6:-1].encode('latin1'); end = time.time() + 30
        while alive and time.time() < end and text not in out[mark:]: alive = drain(0.05)
        continue
    mark = len(out)
    if item == '<resize>':
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0)); os.kill(pid, 28)
    else: os.write(fd, item.encode('latin1'))
    alive = drain(pause)
deadline = time.time() + 10
code = None
while time.time() < deadline:
    drain(0.1)
    p, status = os.waitpid(pid, os.WNOHANG)
    if p: code = os.waitstatus_to_exitcode(status); break
if code is None: os.kill(pid, 9); os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'output': out.decode('latin1'), 'code': code}))
`;

export interface PtyResult {
  output: string;
  /** null when the program was still running 10 s after the last input (it is then killed). */
  code: number | null;
}

export async function runOnPty(
  command: string[],
  inputs: string[],
  options: { pauseSeconds?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<PtyResult> {
  const r = await runCommand(
    'python3',
    ['-c', DRIVER, JSON.stringify(inputs), String(options.pauseSeconds ?? 1), ...command],
    { timeoutMs: 120_000, ...(options.env ? { env: options.env } : {}) },
  );
  if (r.code !== 0) throw new Error(`pty driver failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}

/**
 * Inputs for a shell on the pty: the terminal is resized to 40x120, and the
 * shell waits until the resize (which goes through the daemon) has reached
 * it before it prints the size.
 */
export const RESIZE_THEN_SIZE = [
  '<resize>',
  'for i in $(seq 100); do [ "$(stty size)" = "40 120" ] && break; sleep 0.1; done; stty size\r',
  '<wait:40 120\r\n>',
];
