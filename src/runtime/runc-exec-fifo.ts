import { closeSync, constants, fstatSync, open, readSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { BerthError, ErrorKind, errnoCode } from '../core/errors.js';
import { processStartTime } from './process.js';

/** How often to look whether the container's init died while waiting for it. */
const INIT_POLL_MS = 50;

/**
 * Starts a container runc has created, as `runc start` does, without running
 * runc (a Go binary: some 10 ms on every start). runc's init, once created,
 * blocks opening `<root>/<id>/exec.fifo` for writing; a reader lets it write
 * one byte and exec the container's process, and removing the fifo is what
 * turns runc's view of the container from "created" to "running"
 * (libcontainer's exec() and runType()). crun's fifo works the other way
 * round: only use this for runc.
 *
 * Resolves false when there is no fifo (not created by runc, or already
 * started): the caller runs `runc start`, which says why. Rejects when the
 * init process died before it could be started, as runc does.
 */
export async function startThroughExecFifo(stateDir: string, id: string, initPid: number): Promise<boolean> {
  const path = join(stateDir, id, 'exec.fifo');
  let fd: number;
  try {
    // Read and write: the open never blocks, whether or not init has reached its open yet.
    fd = await new Promise<number>((resolve, reject) =>
      open(path, constants.O_RDWR | constants.O_NONBLOCK, (err, opened) =>
        err ? reject(err) : resolve(opened),
      ),
    );
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
  if (!fstatSync(fd).isFIFO()) {
    closeSync(fd);
    return false;
  }
  const fifo = new Socket({ fd, readable: true, writable: false });
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        if (err) reject(err);
        else resolve();
      };
      let polling = false;
      const timer = setInterval(() => {
        if (polling) return;
        polling = true;
        void processStartTime(initPid).then((alive) => {
          polling = false;
          if (alive !== undefined || settled) return;
          // Its byte may have come just before it exited (fd is still ours: not settled).
          if (byteWaiting(fd)) finish();
          else finish(new BerthError(ErrorKind.FailedPrecondition, 'container process is already dead'));
        });
      }, INIT_POLL_MS);
      fifo.once('data', () => finish());
      fifo.once('error', (err) => finish(err));
    }).finally(() => fifo.destroy());
  } catch (err) {
    throw err instanceof BerthError ? err : new BerthError(ErrorKind.Internal, `runc start ${id}: ${err}`);
  }
  // What `runc start` does last: the container counts as running from here on.
  await unlink(path).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT') throw err;
  });
  return true;
}

/** Whether the (non-blocking) fifo holds a byte. */
function byteWaiting(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1)) === 1;
  } catch {
    return false;
  }
}
