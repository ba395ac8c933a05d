import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { BerthError, ErrorKind, errnoCode, unavailable } from '../../core/errors.js';
import type { ProcessLauncher } from '../../core/launcher.js';
import { expectConnection } from '../relay-socket.js';

/** A message conmon writes on a sync or attach pipe (API version 1): `{"data": N, "message": "…"}`. */
export interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads conmon's newline-delimited JSON messages from one pipe. */
export class SyncPipe {
  private buffered = '';
  private readonly messages: SyncMessage[] = [];
  private readonly waiting: { resolve: (m: SyncMessage) => void; reject: (e: Error) => void }[] = [];
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly describeFailure: () => string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.onEnd());
    socket.on('error', () => this.onEnd());
  }

  /** The next message; rejects if conmon closes the pipe first. */
  next(): Promise<SyncMessage> {
    const message = this.messages.shift();
    if (message) return Promise.resolve(message);
    if (this.ended) return Promise.reject(this.endedError());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline = this.buffered.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line !== '') this.deliver(parseMessage(line));
      newline = this.buffered.indexOf('\n');
    }
  }

  private deliver(message: SyncMessage): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(message);
    else this.messages.push(message);
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.endedError());
  }

  private endedError(): Error {
    return new BerthError(
      ErrorKind.Internal,
      `conmon exited early: ${this.describeFailure() || 'no message'}`,
    );
  }
}

function parseMessage(line: string): SyncMessage {
  try {
    return JSON.parse(line) as SyncMessage;
  } catch {
    return { data: -1, message: line };
  }
}

/** A conmon just started, with our ends of its pipes. */
export interface ConmonLaunch {
  /** The pid of conmon's first process (it forks the long-lived monitor and exits), when spawned here. */
  pid: number | undefined;
  /** `_OCI_SYNCPIPE`: the container's pid (or an error), and for exec sessions the exit code. */
  sync: SyncPipe;
  /** `_OCI_STARTPIPE`: each byte written lets conmon go on (once; exec attach sessions twice). */
  start: Socket;
  /** `_OCI_ATTACHPIPE` (exec only): tells that the attach socket is listening. */
  attachReady: SyncPipe | undefined;
  /** Resolves when the first process exits. */
  exited: Promise<void>;
}

/** Environment variables that belong to the daemon's own service manager, not to conmon. */
const PRIVATE_ENV = /^(NOTIFY_SOCKET|LISTEN_FDS|LISTEN_PID|LISTEN_FDNAMES)$/;

/**
 * Starts conmon detached (its own session; it double-forks and the monitor
 * calls setsid again), so it outlives the daemon. Its stdio is /dev/null
 * except stderr, which carries errors from before it detaches.
 */
export function spawnConmon(
  conmonPath: string,
  args: string[],
  options: { cwd: string; attachPipe?: boolean },
): ConmonLaunch {
  const env = conmonEnv(options.attachPipe ?? false);
  const child = spawn(conmonPath, args, {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...(options.attachPipe ? (['pipe'] as const) : [])],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let spawnError: Error | undefined;
  const describe = () => (spawnError ? spawnError.message : stderr.trim());
  const exited = new Promise<void>((resolve) => {
    child.on('error', (err) => {
      spawnError = errnoCode(err) === 'ENOENT' ? unavailable(`${conmonPath} is not installed`) : err;
      resolve();
    });
    child.on('exit', () => resolve());
  });
  child.unref();
  const pipe = (fd: number) => child.stdio[fd] as Socket;
  // conmon may be gone by the time we write; the write's callback reports it.
  pipe(4).on('error', () => {});
  return {
    pid: child.pid,
    sync: new SyncPipe(pipe(3), describe),
    start: pipe(4),
    attachReady: options.attachPipe ? new SyncPipe(pipe(5), describe) : undefined,
    exited,
  };
}

/** Lets conmon go on; resolves once the byte is written. */
/** conmon's environment: the daemon's, without what belongs to it alone, and the pipes' fds. */
function conmonEnv(attachPipe: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!PRIVATE_ENV.test(key)) env[key] = value;
  return Object.assign(
    env,
    { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
    attachPipe ? { _OCI_ATTACHPIPE: '5' } : {},
  );
}

/**
 * Starts conmon from the process launcher (see core/launcher.ts), which
 * hands it a connection to the daemon's relay socket as both its sync and
 * its start pipe: no fork of the daemon, and conmon is born in the
 * launcher's cgroup. For containers, not exec sessions (one connection
 * cannot also be the attach pipe). Rejects when conmon ends without connecting.
 */
export async function launchConmon(
  launcher: ProcessLauncher,
  socketDir: string,
  conmonPath: string,
  args: string[],
  options: { cwd: string },
): Promise<ConmonLaunch> {
  const expected = await expectConnection();
  let failure = '';
  const exited = launcher
    .connected(socketDir, expected.token, conmonPath, args, { cwd: options.cwd, env: conmonEnv(false) })
    .then(
      (outcome) => {
        failure = outcome.stderr.toString().trim();
      },
      (err: Error) => {
        failure = errnoCode(err) === 'ENOENT' ? `${conmonPath} is not installed` : err.message || String(err);
      },
    )
    .finally(() => expected.cancel());
  const socket = await Promise.race([expected.arrived, exited.then(() => undefined)]);
  if (!socket) throw new BerthError(ErrorKind.Internal, `conmon exited early: ${failure || 'no message'}`);
  socket.on('error', () => {});
  const sync = new SyncPipe(socket, () => failure);
  // The relay socket hands connections over paused.
  socket.resume();
  return { pid: undefined, sync, start: socket, attachReady: undefined, exited };
}

export function signalStart(start: Socket): Promise<void> {
  return new Promise((resolve, reject) => start.write('0', (err) => (err ? reject(err) : resolve())));
}
