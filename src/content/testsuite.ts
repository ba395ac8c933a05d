/**
 * The conformance suite every ContentStore implementation runs (as containerd's
 * `core/content/testsuite`). Call it from a `*.test.ts` file with a factory
 * that makes a fresh, empty store.
 */
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Digest, sha256Of } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import type { ContentStore } from './content.js';

/** A fresh store for one test, and how to dispose of it. */
export interface ContentStoreFixture {
  store: ContentStore;
  /** Paths of unfinished ingests the implementation still holds; must be empty after any write. */
  leftovers?: () => Promise<string[]>;
  cleanup(): Promise<void>;
}

const hello = Buffer.from('hello, berth\n');
const helloDigest = sha256Of(hello);

/** Chunks of `bytes` with a pause between them, like a network stream. */
async function* trickle(bytes: Uint8Array, chunkSize = 4): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
    await new Promise((resolve) => setImmediate(resolve));
    yield bytes.subarray(offset, offset + chunkSize);
  }
}

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString();
}

async function blobDigests(store: ContentStore): Promise<Digest[]> {
  const digests: Digest[] = [];
  for await (const info of store.walk()) digests.push(info.digest);
  return digests.sort();
}

const rejectsWithKind = (promise: Promise<unknown>, kind: ErrorKind) =>
  assert.rejects(promise, (err) => isKind(err, kind));

/** Registers the suite under `name` with node:test. */
export function runContentStoreSuite(name: string, makeFixture: () => Promise<ContentStoreFixture>): void {
  describe(`content store conformance: ${name}`, () => {
    let fixture: ContentStoreFixture;
    let store: ContentStore;
    beforeEach(async () => {
      fixture = await makeFixture();
      store = fixture.store;
    });
    afterEach(async () => {
      assert.deepEqual((await fixture.leftovers?.()) ?? [], [], 'no ingest may outlive its write');
      await fixture.cleanup();
    });

    it('writes bytes and reads them back', async () => {
      const result = await store.writeBytes(hello, { digest: helloDigest, size: hello.byteLength });
      assert.equal(result.created, true);
      assert.equal(result.info.digest, helloDigest);
      assert.equal(result.info.size, hello.byteLength);
      assert.deepEqual(await store.readAll(helloDigest), hello);
      assert.equal(await readText(await store.readStream(helloDigest)), hello.toString());
      assert.equal((await store.info(helloDigest)).size, hello.byteLength);
    });

    it('computes the digest of a stream written without one', async () => {
      const result = await store.write(trickle(hello));
      assert.equal(result.info.digest, helloDigest);
      assert.deepEqual(await blobDigests(store), [helloDigest]);
    });

    it('reads a range', async () => {
      await store.writeBytes(hello);
      assert.equal(await readText(await store.readStream(helloDigest, { offset: 7, length: 5 })), 'berth');
      assert.equal(await readText(await store.readStream(helloDigest, { offset: 7 })), 'berth\n');
      assert.equal(await readText(await store.readStream(helloDigest, { offset: 2, length: 0 })), '');
      await rejectsWithKind(store.readStream(helloDigest, { offset: -1 }), ErrorKind.InvalidArgument);
    });

    it('rejects a digest mismatch and keeps nothing', async () => {
      const wrong = sha256Of('something else');
      await assert.rejects(store.write(trickle(hello), { digest: wrong }), (err) => {
        assert.ok(isKind(err, ErrorKind.InvalidArgument));
        assert.match((err as Error).message, /^digest mismatch: expected sha256:[a-f0-9]{64} got sha256:/);
        return true;
      });
      await rejectsWithKind(store.info(wrong), ErrorKind.NotFound);
      await rejectsWithKind(store.info(helloDigest), ErrorKind.NotFound);
      assert.deepEqual(await blobDigests(store), []);
    });

    it('rejects content shorter or longer than its size and keeps nothing', async () => {
      const short = store.write(trickle(hello), { size: hello.byteLength + 1 });
      await assert.rejects(short, /^BerthError: size mismatch: expected 14 bytes got 13$/);
      const long = store.writeBytes(hello, { digest: helloDigest, size: 3 });
      await assert.rejects(long, (err) => isKind(err, ErrorKind.InvalidArgument));
      assert.deepEqual(await blobDigests(store), []);
    });

    it('skips a blob it already has without reading the source', async () => {
      await store.writeBytes(hello);
      let read = false;
      async function* source(): AsyncGenerator<Uint8Array> {
        read = true;
        yield hello;
      }
      const result = await store.write(source(), { digest: helloDigest });
      assert.equal(result.created, false);
      assert.equal(result.info.size, hello.byteLength);
      assert.equal(read, false);
    });

    it('lets concurrent writes of one blob all succeed, creating it once', async () => {
      const big = Buffer.alloc(256 * 1024, 7);
      const digest = sha256Of(big);
      const writes = Array.from({ length: 8 }, (_, i) =>
        i % 2 ? store.write(trickle(big, 16 * 1024)) : store.write(trickle(big, 16 * 1024), { digest }),
      );
      const results = await Promise.all(writes);
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.deepEqual(await store.readAll(digest), big);
      assert.deepEqual(await blobDigests(store), [digest]);
    });

    it('cancels a write whose signal fires, even on a stalled source', async () => {
      const controller = new AbortController();
      async function* stalled(): AsyncGenerator<Uint8Array> {
        yield hello;
        await new Promise(() => {});
      }
      const write = store.write(stalled(), { signal: controller.signal });
      setTimeout(() => controller.abort(), 10);
      await rejectsWithKind(write, ErrorKind.Canceled);
      await rejectsWithKind(store.writeBytes(hello, { signal: controller.signal }), ErrorKind.Canceled);
      assert.deepEqual(await blobDigests(store), []);
    });

    it('deletes blobs and reports unknown ones as NotFound', async () => {
      await store.writeBytes(hello);
      await store.delete(helloDigest);
      await rejectsWithKind(store.delete(helloDigest), ErrorKind.NotFound);
      await rejectsWithKind(store.info(helloDigest), ErrorKind.NotFound);
      await rejectsWithKind(store.readAll(helloDigest), ErrorKind.NotFound);
      await rejectsWithKind(store.readStream(helloDigest), ErrorKind.NotFound);
    });

    it('orders a write after a delete called before it', async () => {
      await store.writeBytes(hello);
      const deletion = store.delete(helloDigest);
      const write = store.writeBytes(hello, { digest: helloDigest });
      await deletion;
      assert.equal((await write).created, true);
      assert.deepEqual(await store.readAll(helloDigest), hello);
    });

    it('calls beforeCommit with the digest before the blob is visible', async () => {
      const seen: Digest[] = [];
      await store.write(trickle(hello), {
        beforeCommit: async (digest) => {
          seen.push(digest);
          await rejectsWithKind(store.info(digest), ErrorKind.NotFound);
        },
      });
      assert.deepEqual(seen, [helloDigest]);
    });

    it('walks every blob', async () => {
      const blobs = ['a', 'b', 'c'].map((text) => Buffer.from(text));
      for (const blob of blobs) await store.writeBytes(blob);
      assert.deepEqual(await blobDigests(store), blobs.map((blob) => sha256Of(blob)).sort());
    });

    it('stores an empty blob', async () => {
      const empty = new Uint8Array(0);
      const result = await store.writeBytes(empty, { digest: sha256Of(empty), size: 0 });
      assert.equal(result.info.size, 0);
      assert.equal((await store.readAll(sha256Of(empty))).byteLength, 0);
    });
  });
}
