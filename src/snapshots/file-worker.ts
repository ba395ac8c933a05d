import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { setAttributeSync } from '@napi-rs/xattr';

/*
 * Worker thread that writes batches of small regular files. It uses
 * synchronous calls on purpose: each file takes about six system calls, and
 * from the main thread each would be a round trip through libuv's thread
 * pool, which costs more than the call itself. Here they block only this
 * worker, never the daemon's event loop.
 */

/** One file of a batch; its bytes are `data[offset, offset + length)`. */
export interface FileJob {
  abs: string;
  offset: number;
  length: number;
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
  xattrs: [string, Uint8Array][];
}

/** A batch sent to the worker. */
export interface BatchRequest {
  id: number;
  jobs: FileJob[];
  data: ArrayBuffer;
}

/** The worker's answer: the batch id, and the first failure if any. */
export interface BatchResponse {
  id: number;
  error?: { message: string; code?: string; path: string };
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const CAPABILITY_XATTR = 'security.capability';

function writeBatch(request: BatchRequest): BatchResponse {
  const data = Buffer.from(request.data);
  for (const job of request.jobs) {
    try {
      writeFile(job, data);
    } catch (err) {
      const { message, code } = err as { message: string; code?: string };
      return { id: request.id, error: { message, code, path: job.abs } };
    }
  }
  return { id: request.id };
}

function writeFile(job: FileJob, data: Buffer): void {
  const fd = openExclusive(job.abs);
  try {
    for (let written = 0; written < job.length; ) {
      written += writeSync(fd, data, job.offset + written, job.length - written);
    }
    fchownSync(fd, job.uid, job.gid);
    // chmod after chown: chown clears setuid/setgid. xattrs after both: chown and writes drop capabilities.
    fchmodSync(fd, job.mode);
    setXattrs(job);
    futimesSync(fd, job.mtime, job.mtime);
  } finally {
    closeSync(fd);
  }
}

/** Creates the file; an existing entry at the path (from an earlier entry) is replaced. */
function openExclusive(abs: string): number {
  try {
    return openSync(abs, CREATE_FLAGS, 0o600);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    rmSync(abs, { recursive: true, force: true });
    return openSync(abs, CREATE_FLAGS, 0o600);
  }
}

/** Same policy as the main thread's applyXattrs: skip trusted.*, only capability failures are fatal. */
function setXattrs(job: FileJob): void {
  for (const [name, value] of job.xattrs) {
    if (name.startsWith('trusted.')) continue;
    try {
      setAttributeSync(job.abs, name, value);
    } catch (err) {
      if (name === CAPABILITY_XATTR) throw err;
    }
  }
}

parentPort?.on('message', (request: BatchRequest) => {
  parentPort?.postMessage(writeBatch(request));
});
