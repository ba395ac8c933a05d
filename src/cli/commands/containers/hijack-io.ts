/**
 * The client side of attach and exec (docker's hijackedIOStreamer): output
 * demultiplexed (or raw with a TTY) onto our stdout/stderr, our stdin sent
 * with the detach keys watched for (TTY only, as docker does), the local
 * terminal in raw mode while attached, and its size kept in step.
 */
import { spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { FrameDecoder } from '../../../api/streams.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../../../core/detach-keys.js';
import type { ApiClient } from '../../client.js';
import { StatusError } from '../../errors.js';

export interface StreamOptions {
  tty: boolean;
  /** Send our stdin. */
  stdin: boolean;
  detachKeys?: string;
}

/** How the stream ended: the other side closed it, or the user typed the detach keys. */
export type StreamEnd = 'ended' | 'detached';

export function streamHijacked(socket: Duplex, options: StreamOptions): Promise<StreamEnd> {
  // process.stdin is made on first access (loading tty or net): only when it is sent.
  const input = options.stdin ? process.stdin : undefined;
  const rawMode = options.tty && input?.isTTY === true;
  if (rawMode) {
    input.setRawMode(true);
    // libuv's raw mode keeps output processing (ONLCR): the remote TTY already sends \r\n.
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  }
  const restore = () => {
    if (rawMode && input?.isTTY) input.setRawMode(false);
  };
  return new Promise<StreamEnd>((resolve) => {
    let done = false;
    const finish = (end: StreamEnd) => {
      if (done) return;
      done = true;
      restore();
      input?.off('data', onInput);
      input?.off('end', onInputEnd);
      input?.pause();
      if (end === 'detached') socket.destroy();
      resolve(end);
    };
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      if (options.tty) process.stdout.write(chunk);
      else
        for (const f of decoder.push(chunk))
          (f.stream === 2 ? process.stderr : process.stdout).write(f.payload);
    });
    socket.on('end', () => finish('ended'));
    socket.on('close', () => finish('ended'));
    socket.on('error', () => finish('ended'));
    // A socket that closed before we listened emits nothing more.
    if (socket.destroyed) queueMicrotask(() => finish('ended'));
    let keys: Buffer;
    try {
      keys = parseDetachKeys(options.detachKeys || DEFAULT_DETACH_KEYS);
    } catch {
      keys = parseDetachKeys(DEFAULT_DETACH_KEYS);
    }
    const scanner = options.tty ? new DetachScanner(keys) : undefined;
    const onInput = (chunk: Buffer) => {
      if (!scanner) {
        socket.write(chunk);
        return;
      }
      const { pass, detached } = scanner.push(chunk);
      if (pass.length) socket.write(pass);
      if (detached) finish('detached');
    };
    // Our input ended: half-close, and keep reading what the process still prints.
    const onInputEnd = () => socket.end();
    if (input) {
      input.on('data', onInput);
      input.on('end', onInputEnd);
      input.resume();
    }
  });
}

/**
 * Keeps the remote TTY the size of ours: once now, then on every resize of
 * the local terminal. Returns a function that stops following.
 */
export function followTerminalSize(client: ApiClient, resizePath: string): () => void {
  const out = process.stdout;
  if (!out.isTTY) return () => {};
  const send = () => {
    client
      .request('POST', resizePath, { query: { h: out.rows, w: out.columns } })
      .then((res) => res.resume())
      .catch(() => undefined);
  };
  send();
  out.on('resize', send);
  return () => out.off('resize', send);
}

/** docker's CheckTty: a TTY with our stdin attached needs stdin to be a terminal. */
export function checkTty(attachStdin: boolean, tty: boolean): void {
  if (attachStdin && tty && !process.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
}

/** Signals docker's sig-proxy forwards to the container (those Node can catch). */
const PROXIED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Forwards our signals to the container (docker's ForwardAllSignals); returns a function that stops. */
export function proxySignals(client: ApiClient, containerId: string): () => void {
  const handlers = PROXIED_SIGNALS.map((name) => {
    const handler = () => {
      client
        .request('POST', `/containers/${containerId}/kill`, { query: { signal: name } })
        .then((res) => res.resume())
        .catch(() => undefined);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return () => {
    for (const [name, handler] of handlers) process.off(name, handler);
  };
}

/** Reads the body of a wait answer: {"StatusCode": n, "Error": {...}}. */
export async function waitStatus(res: NodeJS.ReadableStream): Promise<number> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  const body = JSON.parse(text) as { StatusCode: number; Error?: { Message?: string } | null };
  if (body.Error?.Message) throw new Error(body.Error.Message);
  return body.StatusCode;
}
