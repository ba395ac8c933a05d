/** Fixtures for the metadata tests: a store in a fresh temp directory and a clock to move. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Descriptor } from '../core/descriptor.js';
import { OciMediaType } from '../core/descriptor.js';
import { sha256Of } from '../core/digest.js';
import { type MetadataStore, openMetadataStore } from './store.js';

/** A metadata store on a real temp dir, with a manual clock. */
export interface MetadataFixture {
  dir: string;
  store: MetadataStore;
  clock: { now: number };
  cleanup(): Promise<void>;
}

/** Opens a fresh store; call `cleanup` in `after`/`finally`. */
export async function openTestStore(): Promise<MetadataFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-metadata-'));
  const clock = { now: Date.UTC(2025, 0, 1) };
  const store = await openMetadataStore(join(dir, 'meta', 'berth.db'), { now: () => clock.now });
  return {
    dir,
    store,
    clock,
    cleanup: async () => {
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A manifest descriptor for test content. */
export function manifestOf(content: string): Descriptor {
  return { mediaType: OciMediaType.manifest, digest: sha256Of(content), size: Buffer.byteLength(content) };
}
