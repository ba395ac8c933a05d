import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestHex, sha256Of } from '../core/digest.js';
import { openLocalContentStore } from './local.js';
import { runContentStoreSuite } from './testsuite.js';

const scratch: string[] = [];
const freshRoot = async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-content-'));
  scratch.push(root);
  return root;
};
after(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

runContentStoreSuite('local', async () => {
  const root = await freshRoot();
  return {
    store: await openLocalContentStore(root),
    leftovers: () => readdir(join(root, 'ingest')),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('local content store on disk', () => {
  let root: string;
  before(async () => {
    root = await freshRoot();
  });

  it('keeps blobs at blobs/sha256/<hex>, read-only', async () => {
    const store = await openLocalContentStore(root);
    const bytes = Buffer.from('{"schemaVersion":2}');
    await store.writeBytes(bytes);
    const file = await stat(join(root, 'blobs', 'sha256', digestHex(sha256Of(bytes))));
    assert.equal(file.size, bytes.byteLength);
    assert.equal(file.mode & 0o777, 0o444);
  });

  it('clears ingests abandoned by a crash when it opens', async () => {
    await mkdir(join(root, 'ingest', 'half-done-dir'), { recursive: true });
    await writeFile(join(root, 'ingest', '3f2a9c'), 'partial layer');
    const store = await openLocalContentStore(root);
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
    assert.ok((await store.readAll(sha256Of('{"schemaVersion":2}'))).byteLength > 0, 'blobs survive');
  });

  it('ignores stray files in the blob directory when walking', async () => {
    await writeFile(join(root, 'blobs', 'sha256', 'not-a-digest'), 'x');
    const store = await openLocalContentStore(root);
    const digests = [];
    for await (const info of store.walk()) digests.push(info.digest);
    assert.deepEqual(digests, [sha256Of('{"schemaVersion":2}')]);
  });
});
