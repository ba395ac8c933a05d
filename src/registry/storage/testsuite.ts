import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { it } from 'node:test';
import { digestOfStream, sha256Of } from '../../core/digest.js';
import { hasCode } from '../errors.js';
import type { BlobContent, StorageDriver } from './driver.js';

const bytes = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString();
};

const written = async (content: BlobContent) => {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await content.writeTo(sink);
  return Buffer.concat(chunks).toString();
};

/**
 * The contract every {@link StorageDriver} keeps. Call inside a `describe`
 * with a factory of fresh, empty drivers.
 */
export function storageDriverSuite(create: () => Promise<StorageDriver>): void {
  it('appends, truncates, commits, reads ranges and deletes', async () => {
    const driver = await create();
    const id = randomUUID();
    await driver.uploads.create(id);
    assert.equal(await driver.uploads.size(id), 0);
    assert.equal(await driver.uploads.append(id, 0, Readable.from([Buffer.from('hello')])), 5);
    assert.equal(await driver.uploads.append(id, 5, Readable.from([Buffer.from(' world!!')])), 13);
    await driver.uploads.truncate(id, 11);
    assert.equal((await digestOfStream(await driver.uploads.read(id))).digest, sha256Of('hello world'));
    const digest = sha256Of('hello world');
    await driver.uploads.commit(id, digest);
    assert.equal(await driver.uploads.size(id), undefined);
    assert.equal((await driver.blobs.stat(digest))?.size, 11);
    assert.equal(await bytes(await driver.blobs.read(digest, { start: 6, end: 10 })), 'world');
    assert.equal(await written(await driver.blobs.open(digest, { start: 0, end: 4 })), 'hello');
    assert.equal(await written(await driver.blobs.open(digest)), 'hello world');
    const walked = [];
    for await (const blob of driver.blobs.walk()) walked.push(blob.digest);
    assert.deepEqual(walked, [digest]);
    await driver.blobs.delete(digest);
    await driver.blobs.delete(digest);
    assert.equal(await driver.blobs.stat(digest), undefined);
  });

  it('reports unknown blobs and sessions with the registry codes', async () => {
    const driver = await create();
    await assert.rejects(driver.blobs.read(sha256Of('absent')), (err) => hasCode(err, 'BLOB_UNKNOWN'));
    await assert.rejects(driver.blobs.open(sha256Of('absent')), (err) => hasCode(err, 'BLOB_UNKNOWN'));
    await assert.rejects(driver.uploads.append(randomUUID(), 0, Readable.from([])), (err) =>
      hasCode(err, 'BLOB_UPLOAD_UNKNOWN'),
    );
  });

  it('lists and removes sessions', async () => {
    const driver = await create();
    const id = randomUUID();
    await driver.uploads.create(id);
    assert.deepEqual(await driver.uploads.list(), [id]);
    await driver.uploads.remove(id);
    await driver.uploads.remove(id);
    assert.deepEqual(await driver.uploads.list(), []);
  });
}
