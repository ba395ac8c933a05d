import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { Digest } from '../../core/digest.js';
import { registryError } from '../errors.js';
import type { BlobInfo, ByteRange, StorageDriver } from './driver.js';

/**
 * Blobs and uploads in memory: a real driver for tests and throwaway
 * registries (Verdaccio ships the same idea). Nothing survives the process.
 */
export function createMemoryDriver(): StorageDriver {
  const blobs = new Map<Digest, { bytes: Buffer; modifiedAt: number }>();
  const uploads = new Map<string, Buffer[]>();
  const uploadBytes = (id: string) => {
    const parts = uploads.get(id);
    if (!parts) throw registryError('BLOB_UPLOAD_UNKNOWN');
    return parts;
  };
  const bytesOf = (digest: Digest, range?: ByteRange) => {
    const blob = blobs.get(digest);
    if (!blob) throw registryError('BLOB_UNKNOWN', { detail: { digest } });
    return range ? blob.bytes.subarray(range.start, range.end + 1) : blob.bytes;
  };
  const sizeOf = (parts: Buffer[]) => parts.reduce((sum, part) => sum + part.byteLength, 0);
  return {
    name: 'memory',
    blobs: {
      async stat(digest) {
        const blob = blobs.get(digest);
        return blob ? { digest, size: blob.bytes.byteLength, modifiedAt: blob.modifiedAt } : undefined;
      },
      async read(digest, range) {
        return Readable.from([bytesOf(digest, range)]);
      },
      async open(digest, range) {
        const bytes = bytesOf(digest, range);
        return {
          writeTo: async (destination) => {
            if (!destination.write(bytes)) await once(destination, 'drain');
          },
          close: async () => {},
        };
      },
      async delete(digest) {
        blobs.delete(digest);
      },
      async *walk(): AsyncIterable<BlobInfo> {
        for (const [digest, blob] of [...blobs]) {
          yield { digest, size: blob.bytes.byteLength, modifiedAt: blob.modifiedAt };
        }
      },
    },
    uploads: {
      async create(id) {
        uploads.set(id, []);
      },
      async size(id) {
        const parts = uploads.get(id);
        return parts ? sizeOf(parts) : undefined;
      },
      async append(id, offset, source) {
        const parts = uploadBytes(id);
        if (sizeOf(parts) !== offset) throw registryError('RANGE_INVALID');
        for await (const chunk of source) parts.push(Buffer.from(chunk));
        return sizeOf(parts);
      },
      async truncate(id, size) {
        uploads.set(id, [Buffer.concat(uploadBytes(id)).subarray(0, size)]);
      },
      async read(id) {
        return Readable.from([Buffer.concat(uploadBytes(id))]);
      },
      async commit(id, digest) {
        blobs.set(digest, { bytes: Buffer.concat(uploadBytes(id)), modifiedAt: Date.now() });
        uploads.delete(id);
      },
      async remove(id) {
        uploads.delete(id);
      },
      async list() {
        return [...uploads.keys()];
      },
    },
  };
}
