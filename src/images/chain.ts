import { type Digest, sha256Of } from '../core/digest.js';

/**
 * Chain IDs name a stack of layers (image-spec `config.md`): the first is the
 * bottom layer's diff ID, each next one is `sha256(parentChainID + " " + diffID)`.
 * A snapshot holding the unpacked stack is named by its chain ID, so images
 * that share bottom layers share snapshots.
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const chain: Digest[] = [];
  for (const diffId of diffIds) {
    const parent = chain.at(-1);
    chain.push(parent === undefined ? diffId : sha256Of(`${parent} ${diffId}`));
  }
  return chain;
}

/** The short form Docker prints: 12 hex characters, without the algorithm. */
export function shortId(id: string): string {
  const colon = id.indexOf(':');
  return (colon < 0 ? id : id.slice(colon + 1)).slice(0, 12);
}
