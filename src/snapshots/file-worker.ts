import { parentPort } from 'node:worker_threads';
import { writeBufferedFile } from './entry-writers.js';

/*
 * Worker thread that writes batches of small regular files. Layers of
 * many files are written on these threads in parallel with the main thread's
 * reading and decompressing; the synchronous writes block only this worker.
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

function writeBatch(request: BatchRequest): BatchResponse {
  const data = new Uint8Array(request.data);
  for (const job of request.jobs) {
    try {
      writeBufferedFile(job.abs, data, job.offset, job.length, job);
    } catch (err) {
      const { message, code } = err as { message: string; code?: string };
      return { id: request.id, error: { message, code, path: job.abs } };
    }
  }
  return { id: request.id };
}

parentPort?.on('message', (request: BatchRequest) => {
  parentPort?.postMessage(writeBatch(request));
});
