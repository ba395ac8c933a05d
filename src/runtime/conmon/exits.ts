import { watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { canceled, errnoCode } from '../../core/errors.js';
import type { ExitStatus } from '../runtime.js';

/** The exit code conmon reports when it could not tell (dockerd uses 255 for "unknown" too). */
export const UNKNOWN_EXIT_CODE = 255;

/**
 * Reads an exit file conmon wrote (`<exit-dir>/<id>`: the code as decimal
 * text; the container exited when the file was written, so its mtime is the
 * exit time). `oomPath` is conmon's OOM marker. Undefined while the file
 * does not exist.
 */
export async function readExitFile(path: string, oomPath?: string): Promise<ExitStatus | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const code = Number.parseInt(text.trim(), 10);
    const oomKilled = oomPath
      ? await stat(oomPath).then(
          () => true,
          () => false,
        )
      : false;
    return {
      // conmon writes -1 when the process neither exited nor was killed by a signal.
      exitCode: Number.isInteger(code) && code >= 0 ? code : UNKNOWN_EXIT_CODE,
      exitedAt: info.mtime,
      oomKilled,
    };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** How to wait for one file. */
export interface FileWait<T> {
  dir: string;
  name: string;
  /** The value once the file is there, else undefined. */
  read: () => Promise<T | undefined>;
  /** False once nothing will ever write the file (the monitor died); then `gone` answers. */
  writerAlive: () => Promise<boolean>;
  gone: () => T;
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Resolves when a file appears: inotify (fs.watch on its directory) for
 * speed, polling as a safety net that also notices a writer that died
 * without writing it.
 */
export function waitForFile<T>(wait: FileWait<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const watcher = watch(wait.dir, (_event, filename) => {
      if (filename === wait.name) void check();
    });
    // The directory can go away (container deleted); polling still answers then.
    watcher.on('error', () => watcher.close());
    const timer = setInterval(() => void check(true), wait.pollMs ?? 500);
    const onAbort = () => finish(() => reject(canceled('wait canceled')));
    wait.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      watcher.close();
      clearInterval(timer);
      wait.signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const check = async (withLiveness = false) => {
      try {
        const value = await wait.read();
        if (value !== undefined) return finish(() => resolve(value));
        if (!withLiveness || (await wait.writerAlive())) return;
        const last = await wait.read();
        finish(() => resolve(last ?? wait.gone()));
      } catch (err) {
        finish(() => reject(err));
      }
    };
    if (wait.signal?.aborted) return onAbort();
    void check(true);
  });
}
