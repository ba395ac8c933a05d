/**
 * Ctrl-C and SIGTERM during work that leaves things behind (a temp file, a
 * debootstrap tree): the work is aborted through its signal and cleans up,
 * then the command exits as docker does after a signal, with 128 + its number.
 */
import { constants } from 'node:os';
import { StatusError } from './errors.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Runs work with an AbortSignal that fires on SIGINT or SIGTERM. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: (typeof SIGNALS)[number] | undefined;
  const handlers = SIGNALS.map((name) => {
    const handler = () => {
      received = name;
      controller.abort(new Error(`received ${name}`));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    return await work(controller.signal);
  } catch (err) {
    if (received) throw new StatusError('', 128 + constants.signals[received]);
    throw err;
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
