import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notFound } from '../core/errors.js';
import { readTar } from './tar/reader.js';

/*
 * Test support: finds the shared image fixtures and reads docker-save
 * archives. The fixtures live beside the repository clone, in
 * `../shared/fixtures/images`, unless BERTH_FIXTURES says otherwise.
 */

/** The image fixtures directory, or undefined when this checkout has none. */
export async function fixturesDir(): Promise<string | undefined> {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = process.env['BERTH_FIXTURES'] ?? join(repoRoot, '..', 'shared', 'fixtures', 'images');
  return access(dir).then(
    () => dir,
    () => undefined,
  );
}

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
