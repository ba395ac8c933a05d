import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { LAUNCHER_SCRIPT } from './launcher-script.js';

/** What a program given to the launcher did. */
export interface LaunchOutcome {
  /** The exit code; -1 when a signal ended it. */
  code: number;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** How to run a program through the launcher. */
export interface LaunchOptions {
  cwd?: string | undefined;
  /** Written to the program's stdin, which is then closed (closed at once without it). */
  input?: string | undefined;
  /** The program's whole environment; the daemon's by default. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Aborting sends the program SIGTERM (Node's spawn default) and rejects with an AbortError. */
  signal?: AbortSignal | undefined;
}

/** The kernel calls the launcher makes itself (see launcher-script.ts, S). */
export type KernelCall = 'mount' | 'umount' | 'umount-all' | 'netns' | 'link-del' | 'rm-tree';

/** A program that could not be started: `code` is the errno name, as Node's spawn errors have. */
export class LaunchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The launcher ended before it ran: the program was not started, and may be
 * spawned directly instead.
 */
export class LauncherUnavailable extends Error {}

interface Pending {
  resolve(outcome: LaunchOutcome): void;
  reject(err: Error): void;
}

/**
 * Runs short-lived programs (mount, umount, ip, runc, CNI plugins…) from a
 * small perl process instead of forking the daemon: forking a Node process of
 * some 70 MiB costs 2–4 ms of blocked event loop per program, several times
 * per `docker run`; the launcher forks in a fraction of that, off the event
 * loop. Only the daemon turns it on (see useLauncher); everything else spawns
 * directly. If the launcher cannot start or dies, programs are spawned
 * directly again and a new launcher is started on a later use.
 */
export class ProcessLauncher {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = '';
  /** Whether the running launcher said it is ready (requests before that are not lost if it fails). */
  private ready = false;
  /** Set once the launcher failed to start: no new attempts for a while. */
  private brokenUntil = 0;

  /** `onStderr` gets what the launcher itself prints (perl's warnings); by default it goes to the daemon's stderr. */
  constructor(private readonly options: { onStderr?: (text: string) => void } = {}) {}

  /** Whether programs go through the launcher now. */
  get available(): boolean {
    return this.ensure() !== undefined;
  }

  run(file: string, args: readonly string[], options: LaunchOptions = {}): Promise<LaunchOutcome> {
    const env = options.env ? envField(options.env) : undefined;
    return this.submit('R', [options.cwd, options.input, env, file, ...args], options.signal).outcome;
  }

  /**
   * Starts an attach relay (see launcher-script.ts): a forked launcher that
   * connects to `<socketDir>/relays.sock` with `token` and waits there to be
   * told which attach socket to connect to. The outcome comes when it ends;
   * `stop` ends it (SIGTERM).
   */
  relay(socketDir: string, token: string) {
    const controller = new AbortController();
    const { outcome } = this.submit('A', [socketDir, token], controller.signal);
    return { outcome, stop: () => controller.abort() };
  }

  /**
   * Runs a program as run() does, with a connection to `<socketDir>/relays.sock`
   * (that sends `token` first) as its fds 3 and 4.
   */
  connected(
    socketDir: string,
    token: string,
    file: string,
    args: readonly string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ): Promise<LaunchOutcome> {
    return this.submit('C', [socketDir, token, options.cwd, envField(options.env), file, ...args], undefined)
      .outcome;
  }

  /**
   * Makes a kernel call in a launcher worker (see launcher-script.ts, S):
   * resolves once done, rejects with a LaunchError carrying the errno's name.
   */
  async kernelCall(call: KernelCall, args: readonly string[], options: { cwd?: string } = {}): Promise<void> {
    const outcome = await this.submit('S', [options.cwd, call, ...args], undefined).outcome;
    if (outcome.code === 0) return;
    const said = /^(E[A-Z0-9]+) (.*)$/s.exec(outcome.stderr.toString());
    if (said) throw new LaunchError(said[1]!, said[2]!);
    throw new LaunchError('EIO', `${call} ended with ${outcome.signal ?? `code ${outcome.code}`}`);
  }

  private submit(
    op: 'R' | 'A' | 'C' | 'S',
    values: readonly (string | undefined)[],
    signal: AbortSignal | undefined,
  ): { outcome: Promise<LaunchOutcome> } {
    const child = this.ensure();
    if (!child)
      return { outcome: Promise.reject(new LauncherUnavailable('the process launcher is not running')) };
    if (signal?.aborted) return { outcome: Promise.reject(abortError()) };
    const options = { signal };
    const id = this.nextId++;
    const outcome = new Promise<LaunchOutcome>((resolve, reject) => {
      const onAbort = () => {
        child.stdin.write(`K ${id} ${osConstants.signals.SIGTERM}\n`);
        this.pending.delete(id);
        this.holdLoop(child);
        reject(abortError());
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => options.signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (outcome) => {
          settle();
          resolve(outcome);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      this.holdLoop(child);
      child.stdin.write(`${op} ${id} ${values.map(field).join(' ')}\n`);
    });
    return { outcome };
  }

  /** Ends the launcher (programs it started run on). */
  stop(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private ensure(): ChildProcessWithoutNullStreams | undefined {
    if (this.child) return this.child;
    if (Date.now() < this.brokenUntil) return undefined;
    let child: ChildProcessWithoutNullStreams;
    try {
      // Its own session, as conmon's was: a terminal's Ctrl-C reaches the daemon, which shuts down
      // in order using the launcher, not the launcher too. It ends when the daemon's pipe does.
      child = spawn('perl', ['-e', LAUNCHER_SCRIPT], {
        stdio: ['pipe', 'pipe', this.options.onStderr ? 'pipe' : 'inherit'],
        detached: true,
      }) as never;
    } catch {
      this.brokenUntil = Date.now() + 60_000;
      return undefined;
    }
    this.child = child;
    this.buffered = '';
    this.ready = false;
    child.stdin.on('error', () => {});
    child.stdout.setEncoding('latin1').on('data', (text: string) => this.receive(text));
    const onStderr = this.options.onStderr;
    if (onStderr) child.stderr.setEncoding('utf8').on('data', onStderr);
    const gone = (err?: Error) => {
      if (this.child === child) this.child = undefined;
      // One that never became ready (no perl?) is not tried again for a while.
      if (err || !this.ready) this.brokenUntil = Date.now() + 60_000;
      const why = `the process launcher ended${err ? `: ${err.message}` : ''}`;
      const failure = this.ready ? new Error(why) : new LauncherUnavailable(why);
      for (const [, waiting] of this.pending) waiting.reject(failure);
      this.pending.clear();
    };
    child.on('error', gone);
    // 'close', not 'exit': replies still in the pipe are read first.
    child.on('close', () => gone());
    this.holdLoop(child);
    return child;
  }

  /** An idle launcher does not keep the process alive; one running programs does. */
  private holdLoop(child: ChildProcessWithoutNullStreams): void {
    const hold = this.pending.size > 0;
    for (const handle of [child, child.stdout, child.stdin] as unknown as { ref(): void; unref(): void }[])
      hold ? handle.ref() : handle.unref();
  }

  private receive(text: string): void {
    this.buffered += text;
    let newline = this.buffered.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      this.settle(line.split(' '));
      newline = this.buffered.indexOf('\n');
    }
  }

  private settle([kind, idText, ...rest]: string[]): void {
    if (kind === 'ready') {
      this.ready = true;
      return;
    }
    const id = Number(idText);
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    if (this.child) this.holdLoop(this.child);
    if (kind === 'E') {
      const [code = 'EIO', message = '-'] = rest;
      waiting.reject(new LaunchError(code, bytes(message).toString()));
      return;
    }
    const [code = '-1', signal = '0', stdout = '-', stderr = '-'] = rest;
    const signalName = Number(signal)
      ? ((Object.entries(osConstants.signals).find(([, n]) => n === Number(signal))?.[0] ??
          null) as NodeJS.Signals | null)
      : null;
    waiting.resolve({ code: Number(code), signal: signalName, stdout: bytes(stdout), stderr: bytes(stderr) });
  }
}

function envField(env: NodeJS.ProcessEnv): string {
  return Object.entries(env)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join('\0');
}

function field(value: string | undefined): string {
  return value === undefined || value === '' ? '-' : Buffer.from(value).toString('base64');
}

function bytes(value: string): Buffer {
  return value === '-' ? Buffer.alloc(0) : Buffer.from(value, 'base64');
}

function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}

let shared: ProcessLauncher | undefined;

/** Turns the launcher on for this process (berthd does, at start). */
export function useLauncher(): void {
  shared ??= new ProcessLauncher();
}

/** The launcher, when this process turned it on and it is running. */
export function activeLauncher(): ProcessLauncher | undefined {
  return shared?.available ? shared : undefined;
}

/** Ends the launcher (at daemon shutdown). */
export function stopLauncher(): void {
  shared?.stop();
  shared = undefined;
}
