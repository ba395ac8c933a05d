import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { PassThrough, type Readable, Writable } from 'node:stream';
import { BerthError, ErrorKind } from '../../core/errors.js';
import { activeLauncher, type LaunchOutcome, type ProcessLauncher } from '../../core/launcher.js';
import { expectConnection, relaySocketDir } from '../relay-socket.js';
import type { AttachSession, AttachStreams } from '../runtime.js';
import { RELAY_SCRIPT } from './relay-script.js';

/** conmon's attach packets start with the pipe the bytes came from (conmon's stdpipe_t). */
const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;

/** Splits the relay's output into frames: 4-byte big-endian length, then that many bytes. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** The complete frames in `chunk` and what came before it; keeps any incomplete tail. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (this.pending.length < 4 + length) break;
      frames.push(this.pending.subarray(4, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return frames;
  }
}

/** A relay process started ahead of the connection it will make. */
export interface AttachRelay {
  /**
   * Connects to `<dir>/attach` and resolves once connected. Stdin is relayed
   * only if the streams asked for it and `stdin` is true (the container has one).
   */
  connect(dir: string, stdin: boolean): Promise<AttachSession>;
  /** Ends a relay that will not connect. */
  cancel(): void;
}

/**
 * Starts the relay for an attach (a perl process, some milliseconds) without
 * connecting yet: a caller that knows a connection will be wanted starts it
 * while the container is still being created. Output packets are
 * demultiplexed onto `stdout` and `stderr`; a TTY's output all arrives on stdout.
 */
export function startAttachRelay(streams: AttachStreams = {}): AttachRelay {
  const wants = {
    stdin: streams.stdin ?? true,
    stdout: streams.stdout ?? true,
    stderr: streams.stderr ?? true,
  };
  const launcher = activeLauncher();
  const socketDir = relaySocketDir();
  if (launcher && socketDir) return launchedRelay(launcher, socketDir, wants);
  const relay = spawn('perl', ['-e', RELAY_SCRIPT], {
    stdio: [wants.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  const go = relay.stdio[3] as Writable;
  go.on('error', () => {});
  relay.stdin?.on('error', () => {});
  let spawnError: Error | undefined;
  let relayErrors = '';
  (relay.stderr as Readable).setEncoding('utf8').on('data', (text: string) => {
    relayErrors += text;
  });
  const closed = new Promise<void>((resolve) => {
    relay.on('close', () => resolve());
    relay.on('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  let used = false;
  return {
    cancel: () => {
      if (used) return;
      used = true;
      go.end();
      relay.stdin?.destroy();
      relay.kill('SIGTERM');
    },
    connect: (dir, stdin) => {
      if (used) return Promise.reject(new Error('attach relay already used'));
      used = true;
      const withStdin = wants.stdin && stdin;
      if (!withStdin) relay.stdin?.destroy();
      go.end(`${withStdin ? '1' : '0'} ${dir}\n`);
      return relayed(
        {
          output: relay.stdout as Readable,
          stdin: withStdin ? (relay.stdin ?? undefined) : undefined,
          closed,
          stop: () => {
            relay.stdin?.destroy();
            relay.kill('SIGTERM');
          },
        },
        wants,
        () => spawnError?.message ?? relayErrors.trim(),
      );
    },
  };
}

/**
 * A relay run by the launcher: forked at once (while the container is being
 * created), it connects back to the relay socket and waits there for the
 * attach socket to connect to, so connect() costs one line on a socket.
 */
function launchedRelay(
  launcher: ProcessLauncher,
  socketDir: string,
  wants: { stdin: boolean; stdout: boolean; stderr: boolean },
): AttachRelay {
  let errors = '';
  let relay: { outcome: Promise<LaunchOutcome>; stop(): void } | undefined;
  let ended: Promise<void> = Promise.resolve();
  // The relay's connection, or undefined when it ended (why is on its stderr) without one.
  const arrived = (async () => {
    const expected = await expectConnection();
    relay = launcher.relay(socketDir, expected.token);
    ended = relay.outcome.then(
      (outcome) => {
        errors = outcome.stderr.toString().trim();
      },
      (err: Error) => {
        if (err.name !== 'AbortError') errors = err.message;
      },
    );
    const socket = await Promise.race([expected.arrived, ended.then(() => undefined)]);
    expected.cancel();
    return socket;
  })().catch((err: Error) => {
    errors = err.message;
    return undefined;
  });
  let used = false;
  return {
    cancel: () => {
      if (used) return;
      used = true;
      relay?.stop();
      void arrived.then((socket) => socket?.destroy());
    },
    connect: async (dir, stdin) => {
      if (used) throw new Error('attach relay already used');
      used = true;
      const withStdin = wants.stdin && stdin;
      const socket = await arrived;
      if (!socket)
        throw new BerthError(ErrorKind.FailedPrecondition, `cannot attach: ${errors || 'relay exited'}`);
      socket.write(`${withStdin ? '1' : '0'} ${dir}\n`);
      // The relay's end of output is its end: the socket was half-open only for stdin.
      socket.once('end', () => socket.destroy());
      const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      return relayed(
        {
          output: socket,
          stdin: withStdin ? halfCloser(socket) : undefined,
          // Gone with its connection and its process (whose stderr says why it failed, if it did).
          closed: Promise.all([socketClosed, ended]).then(() => {}),
          stop: () => {
            socket.destroy();
            relay?.stop();
          },
        },
        wants,
        () => errors,
      );
    },
  };
}

/** The stdin of a relayed session: writes go to the relay's socket, and the end is a half-close. */
function halfCloser(socket: Socket): Writable {
  return new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      if (socket.destroyed) return done();
      socket.write(chunk, () => done());
    },
    final: (done) => {
      if (!socket.destroyed) socket.end();
      done();
    },
  });
}

/**
 * Connects to a conmon attach socket (`<dir>/attach`) through the relay and
 * resolves once connected (see {@link startAttachRelay}).
 */
export function connectAttachSocket(dir: string, streams: AttachStreams = {}): Promise<AttachSession> {
  return startAttachRelay(streams).connect(dir, true);
}

/** A relay's ends, however it runs. */
interface RelayIo {
  /** Frames from the relay. */
  output: Readable;
  /** Bytes for the container's stdin, when relayed. */
  stdin: Writable | undefined;
  /** Resolves when the relay is gone. */
  closed: Promise<void>;
  /** Ends the relay. */
  stop(): void;
}

/** The session over a relay told to connect: resolves on the relay's first (empty) frame. */
function relayed(
  relay: RelayIo,
  wants: { stdout: boolean; stderr: boolean },
  relayErrors: () => string,
): Promise<AttachSession> {
  const { output, closed } = relay;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const decoder = new FrameDecoder();
  void closed.then(() => {
    stdout.end();
    stderr.end();
  });
  const session: AttachSession = {
    stdout,
    stderr,
    stdin: relay.stdin,
    closed,
    close: () => relay.stop(),
  };
  return new Promise<AttachSession>((resolve, reject) => {
    let connected = false;
    output.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (!connected) {
          // The relay's first frame is empty: it says the socket accepted us.
          connected = true;
          resolve(session);
          continue;
        }
        const target = routeOf(frame, wants.stdout ? stdout : undefined, wants.stderr ? stderr : undefined);
        if (target && !target.write(frame.subarray(1))) {
          // A slow reader holds the relay back, and so conmon, instead of buffering without end.
          output.pause();
          target.once('drain', () => output.resume());
        }
      }
    });
    // A relay socket arrives paused (its first line was read by the server).
    output.resume();
    void closed.then(() => {
      if (!connected) {
        reject(
          new BerthError(ErrorKind.FailedPrecondition, `cannot attach: ${relayErrors() || 'relay exited'}`),
        );
      }
    });
  });
}

function routeOf(
  packet: Buffer,
  stdout: Writable | undefined,
  stderr: Writable | undefined,
): Writable | undefined {
  if (packet[0] === STDOUT_PIPE) return stdout;
  if (packet[0] === STDERR_PIPE) return stderr;
  return undefined;
}

/** Collects a readable stream into one Buffer (test and tool helper). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
