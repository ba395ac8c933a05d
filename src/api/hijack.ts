import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../core/detach-keys.js';
import { invalidArgument } from '../core/errors.js';
import type { AttachSession } from '../runtime/runtime.js';
import { frame, STDERR, STDOUT } from './streams.js';

const BODY_LIMIT = 1024 * 1024;

/**
 * Reads the JSON body of an upgrade request (exec start carries one). Node
 * hands the connection over right after the headers: the body is in `head`
 * and the first socket reads; bytes after it (early stdin) are put back.
 */
export async function readUpgradeBody(raw: IncomingMessage, socket: Duplex, head: Buffer): Promise<unknown> {
  const length = Number(raw.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length <= 0) return undefined;
  if (length > BODY_LIMIT) throw invalidArgument('request body too large');
  let data = head;
  while (data.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        cleanup();
        resolve(d);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.pause();
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.resume();
    });
    if (chunk === null) break;
    data = Buffer.concat([data, chunk]);
  }
  if (data.length > length) socket.unshift(data.subarray(length));
  const text = data.subarray(0, length).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
  }
}

/** The detach keys a request asks for, or the default; dockerd's message for a bad spec. */
export function detachKeysOf(spec: string | undefined, message: (spec: string) => string): Buffer {
  if (!spec) return parseDetachKeys(DEFAULT_DETACH_KEYS);
  try {
    return parseDetachKeys(spec);
  } catch (err) {
    throw invalidArgument(message(spec), err);
  }
}

/** How a pumped session ended: the process's streams closed, the client detached, or it went away. */
export type PumpEnd = 'ended' | 'detached' | 'gone';

/**
 * Copies a session's output to a hijacked connection (8-byte frames unless
 * the process has a TTY) and the connection's input to the session's stdin,
 * watching it for the detach keys. Ends the connection unless the client left.
 */
export function pumpSession(
  socket: Duplex,
  session: AttachSession,
  options: {
    tty: boolean;
    detachKeys: Buffer /** The caller ends the connection when the streams end. */;
    deferEnd?: boolean;
  },
): Promise<PumpEnd> {
  return new Promise<PumpEnd>((resolve) => {
    let settled = false;
    const finish = (end: PumpEnd) => {
      if (settled) return;
      settled = true;
      socket.off('close', onClose);
      if (end !== 'ended') session.close();
      if (end === 'detached' || (end === 'ended' && !options.deferEnd)) socket.end();
      resolve(end);
    };
    const forward = (stream: number) => (d: Buffer) => {
      if (!socket.writable) return;
      const ok = socket.write(options.tty ? d : frame(stream, d));
      if (!ok) {
        session.stdout.pause();
        session.stderr.pause();
        socket.once('drain', () => {
          session.stdout.resume();
          session.stderr.resume();
        });
      }
    };
    session.stdout.on('data', forward(STDOUT));
    session.stderr.on('data', forward(options.tty ? STDOUT : STDERR));
    const stdin = session.stdin;
    if (stdin) {
      const scanner = new DetachScanner(options.detachKeys);
      socket.on('data', (chunk: Buffer) => {
        if (settled) return;
        const { pass, detached } = scanner.push(chunk);
        if (pass.length) stdin.write(pass);
        if (detached) finish('detached');
      });
      // The client closed its half: the process's stdin ends (conmon closes it when stdinOnce).
      socket.on('end', () => stdin.end());
    }
    // Reading the request body may have paused the socket; a 'data' listener alone does not undo that.
    socket.resume();
    const onClose = () => finish('gone');
    socket.on('close', onClose);
    const ended = (s: NodeJS.ReadableStream) => new Promise<void>((r) => s.once('end', () => r()));
    void Promise.race([session.closed, Promise.all([ended(session.stdout), ended(session.stderr)])]).then(
      () => finish('ended'),
    );
  });
}
