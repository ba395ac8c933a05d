import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a whole file so a crash leaves either the old or the new content:
 * temp file in the same directory, fsync, rename, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(tmp, 'w', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await file.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dirname(path));
}

/**
 * Replaces a file through a temp file and rename, without fsync: a reader
 * sees the old or the new content, never half of one, but a power loss may
 * lose the new one. Only for files rebuilt from durable state every time
 * they are needed (a container's hosts, resolv.conf and hostname are written
 * again at each start), where two fsyncs per file were most of their cost.
 */
export async function writeFileReplacing(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The temp-file name pattern of writeFileAtomic: `.NAME.<12 hex>.tmp`. */
export const ATOMIC_TEMP = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Finds (and with `remove`, deletes) the temp files of writes a crash interrupted
 * under `root`, `depth` levels down, not descending into `skip` (paths relative to
 * root, e.g. layer contents, which may hold such names legitimately). Returns them
 * relative to root.
 */
export async function atomicLeftovers(
  root: string,
  options: { remove?: boolean; skip?: RegExp; depth?: number } = {},
): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isFile() && ATOMIC_TEMP.test(entry.name)) {
        found.push(path);
        if (options.remove) await unlink(join(dir, entry.name)).catch(() => {});
      } else if (entry.isDirectory() && depth > 0 && !options.skip?.test(path)) {
        await walk(join(dir, entry.name), path, depth - 1);
      }
    }
  };
  await walk(root, '', options.depth ?? 3);
  return found.sort();
}
