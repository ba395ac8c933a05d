import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/*
 * Worker thread that computes sha256 digests for the main thread (see
 * off-thread-hash.ts). Messages for one id arrive in order.
 */

/** A request to the hash thread. */
export type HashRequest =
  | { kind: 'update'; id: number; buffer: ArrayBuffer; length: number }
  | { kind: 'digest'; id: number }
  | { kind: 'drop'; id: number };

/** The answer to a 'digest' request, or an update's buffer handed back for reuse. */
export type HashResponse = { id: number; hex: string } | { spare: ArrayBuffer };

const hashes = new Map<number, Hash>();

parentPort?.on('message', (request: HashRequest) => {
  if (request.kind === 'drop') {
    hashes.delete(request.id);
    return;
  }
  let hash = hashes.get(request.id);
  if (!hash) {
    hash = createHash('sha256');
    hashes.set(request.id, hash);
  }
  if (request.kind === 'update') {
    hash.update(new Uint8Array(request.buffer, 0, request.length));
    parentPort?.postMessage({ spare: request.buffer } satisfies HashResponse, [request.buffer]);
    return;
  }
  hashes.delete(request.id);
  parentPort?.postMessage({ id: request.id, hex: hash.digest('hex') } satisfies HashResponse);
});
