import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { defaultHeader } from '../snapshots/tar/build.js';
import { bodyPadding, END_OF_ARCHIVE, encodeEntry } from '../snapshots/tar/writer.js';

/** What {@link writeLargeDockerArchive} wrote. */
export interface LargeArchive {
  /** The image ID (config digest). */
  id: string;
  diffIds: string[];
  /** Bytes of the archive. */
  size: number;
}

const CHUNK = 4 * 1024 * 1024;

/**
 * Writes a docker-save archive as Docker 20.10 lays it out (`<id>/layer.tar`,
 * `<hex>.json`, manifest.json, repositories) with `layers` layers of random
 * data, each one file of `layerBytes`: for load benchmarks and crash tests.
 */
export async function writeLargeDockerArchive(
  path: string,
  options: { layers: number; layerBytes: number; tag: string },
): Promise<LargeArchive> {
  const file = await open(path, 'w');
  let size = 0;
  const write = async (bytes: Buffer) => {
    await file.write(bytes);
    size += bytes.length;
  };
  try {
    const diffIds: string[] = [];
    const layerPaths: string[] = [];
    for (let i = 0; i < options.layers; i++) {
      const dir = randomBytes(32).toString('hex');
      layerPaths.push(`${dir}/layer.tar`);
      await write(Buffer.concat(encodeEntry({ ...defaultHeader(`${dir}/`), mtime: 0 })));
      diffIds.push(await writeLayer(write, `${dir}/layer.tar`, `layer${i}/data.bin`, options.layerBytes));
    }
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
      }),
    );
    const id = createHash('sha256').update(config).digest('hex');
    await write(smallFile(`${id}.json`, config));
    const manifest = [{ Config: `${id}.json`, RepoTags: [options.tag], Layers: layerPaths }];
    await write(smallFile('manifest.json', Buffer.from(JSON.stringify(manifest))));
    await write(END_OF_ARCHIVE);
    return { id: `sha256:${id}`, diffIds, size };
  } finally {
    await file.close();
  }
}

/** Writes one archive entry holding a layer tar of one random file; returns the layer's diff ID. */
async function writeLayer(
  write: (bytes: Buffer) => Promise<void>,
  entryName: string,
  fileName: string,
  bytes: number,
): Promise<string> {
  const fileHeader = Buffer.concat(encodeEntry({ ...defaultHeader(fileName), size: bytes }));
  const layerSize = fileHeader.length + bytes + bodyPadding(bytes).length + END_OF_ARCHIVE.length;
  await write(Buffer.concat(encodeEntry({ ...defaultHeader(entryName), size: layerSize, mtime: 0 })));
  const hash = createHash('sha256');
  const emit = async (chunk: Buffer) => {
    hash.update(chunk);
    await write(chunk);
  };
  await emit(fileHeader);
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (let left = bytes; left > 0; left -= CHUNK) {
    const chunk = buffer.subarray(0, Math.min(CHUNK, left));
    randomFillSync(chunk);
    await emit(chunk);
  }
  await emit(Buffer.concat([bodyPadding(bytes), END_OF_ARCHIVE]));
  await write(bodyPadding(layerSize));
  return `sha256:${hash.digest('hex')}`;
}

function smallFile(name: string, body: Buffer): Buffer {
  return Buffer.concat([
    ...encodeEntry({ ...defaultHeader(name), size: body.length }),
    body,
    bodyPadding(body.length),
  ]);
}
