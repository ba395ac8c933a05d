import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/*
 * Worker thread that computes sha256 digests for the main thread (see
 * off-thread-hash.ts). Messages for one id arrive in order.
 */

/** A request to the hash thread. */
export type HashRequest =
  | { kind: 'update'; id: number; data: Uint8Array }
  | { kind: 'digest'; id: number }
  | { kind: 'drop'; id: number };

/** The answer to a 'digest' request. */
export interface HashResponse {
  id: number;
  hex: string;
}

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
    hash.update(request.data);
    return;
  }
  hashes.delete(request.id);
  parentPort?.postMessage({ id: request.id, hex: hash.digest('hex') } satisfies HashResponse);
});
