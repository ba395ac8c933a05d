import { createReadStream } from 'node:fs';
import { notFound } from '../core/errors.js';
import { readTar } from './tar/reader.js';

/*
 * Test support: reads docker-save archives, such as the shared image fixtures
 * (testing/paths.ts says where they are and whether this checkout has them).
 */

/** Every regular file of a tar archive, by name. Meant for small archives. */
export async function readArchiveFiles(archive: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for await (const entry of readTar(createReadStream(archive))) {
    if (entry.header.type !== 'file') continue;
    const chunks: Buffer[] = [];
    for await (const chunk of entry.body()) chunks.push(chunk);
    files.set(entry.header.name, Buffer.concat(chunks));
  }
  return files;
}

/** The layer tars of a docker-save archive's first image, bottom layer first. */
export async function dockerArchiveLayers(archive: string): Promise<Buffer[]> {
  const files = await readArchiveFiles(archive);
  const manifest = JSON.parse(String(files.get('manifest.json') ?? '[]')) as { Layers?: string[] }[];
  return (manifest[0]?.Layers ?? []).map((name) => {
    const layer = files.get(name);
    if (!layer) throw notFound(`${archive} has no layer ${name}`);
    return layer;
  });
}
