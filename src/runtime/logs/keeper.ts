import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../../core/errors.js';
import { KEEPER_SCRIPT } from './keeper-script.js';

/**
 * The log keeper of one container run (see keeper-script.ts): the process
 * that writes and rotates `<log>` from what conmon writes into
 * {@link keeperPipePath}. It outlives berthd; a berthd started later finds
 * it through its pid file.
 */
export interface LogKeeperOptions {
  path: string;
  maxSize: number;
  maxFile: number;
}

/** The FIFO conmon writes a kept log into. */
export function keeperPipePath(path: string): string {
  return `${path}.pipe`;
}

/** How long a keeper may take to start and say it is ready. */
const READY_TIMEOUT_MS = 10_000;
/** How long berthd waits for a keeper to write what is left once conmon is gone. */
const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 5;

/**
 * Starts the keeper and waits until its FIFO exists, so that conmon, started
 * next, opens the FIFO and not a file of its own. Resolves with its pid.
 */
export async function startLogKeeper(options: LogKeeperOptions): Promise<number> {
  const child = spawn(
    'perl',
    [
      '-e',
      KEEPER_SCRIPT,
      keeperPipePath(options.path),
      options.path,
      String(options.maxSize),
      String(options.maxFile),
    ],
    // Its own session: a signal to berthd's process group does not reach it.
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.unref();
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the log keeper did not start in time')),
        READY_TIMEOUT_MS,
      );
      const done = (e?: Error) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      child.on('error', done);
      child.stdout.on('data', () => out.includes('ready\n') && done());
      child.on('exit', () => done(new Error(`the log keeper exited: ${err.trim() || 'no message'}`)));
    });
  } catch (e) {
    if (child.exitCode === null && child.pid) child.kill('SIGKILL');
    throw e;
  } finally {
    child.stdout.destroy();
    child.stderr.destroy();
  }
  if (!child.pid) throw new Error('the log keeper did not start');
  return child.pid;
}

/** The pid the keeper of `path` wrote; undefined when none runs (or it finished). */
async function keeperPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(`${path}.keeper`, 'utf8')).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * Once conmon is gone: lets a keeper that still waits for conmon go (a run
 * that failed before conmon opened the FIFO: opening it for writing and
 * closing it ends the keeper's input), then waits until the keeper has
 * written what it read and exited.
 */
export async function settleLogKeeper(path: string): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let released = false;
  for (;;) {
    const pid = await keeperPid(path).catch(() => undefined);
    if (pid === undefined || !alive(pid) || Date.now() > deadline) return;
    // Fails (ENXIO) until the keeper is in its open of the FIFO.
    if (!released) {
      const writer = await open(keeperPipePath(path), constants.O_WRONLY | constants.O_NONBLOCK).catch(
        () => undefined,
      );
      released = writer !== undefined;
      await writer?.close();
    }
    await sleep(DRAIN_POLL_MS);
  }
}
