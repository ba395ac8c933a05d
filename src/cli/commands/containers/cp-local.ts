import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import type { TarEntry } from '../../../snapshots/tar/reader.js';
import { StatusError } from '../../errors.js';

/**
 * Unpacks a tar from the daemon under local directory `into`, its first
 * name element `from` replaced by `to` ('.' drops it: "dir/." copies the
 * contents). Names that climb out, and parents that are symlinks (the
 * archive's own or existing ones), are refused: a daemon's archive writes
 * only below `into`. Owners are kept when we run as root. Returns the bytes
 * of file content written.
 */
export async function extractLocal(
  entries: AsyncIterable<TarEntry>,
  into: string,
  rename: { from: string; to: string | undefined },
): Promise<number> {
  let written = 0;
  const dirTimes: { path: string; mtime: number }[] = [];
  const root = process.getuid?.() === 0;
  for await (const entry of entries) {
    const header = entry.header;
    const rel = renamed(clean(header.name), rename);
    if (rel === undefined) continue;
    const target = rel === '' ? into : `${into}/${rel}`;
    if (rel !== '') await checkParents(into, rel);
    switch (header.type) {
      case 'directory': {
        const existing = await lstat(target).catch(() => undefined);
        if (existing && !existing.isDirectory()) await rm(target, { force: true });
        await mkdir(target, { recursive: true });
        await chmod(target, header.mode);
        dirTimes.push({ path: target, mtime: header.mtime });
        break;
      }
      case 'file': {
        await replaceable(target);
        const file = await open(
          target,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o600,
        );
        try {
          for await (const chunk of entry.body()) {
            await file.write(chunk);
            written += chunk.length;
          }
          await file.chmod(header.mode);
        } finally {
          await file.close();
        }
        await utimes(target, header.mtime, header.mtime);
        break;
      }
      case 'symlink':
        await replaceable(target);
        await symlink(header.linkname, target);
        await lutimes(target, header.mtime, header.mtime).catch(() => {});
        break;
      case 'link': {
        const linked = renamed(clean(header.linkname), rename);
        if (linked === undefined || linked === '')
          throw new StatusError(`invalid hard link ${header.name}`, 1);
        await checkParents(into, linked);
        await replaceable(target);
        await link(`${into}/${linked}`, target);
        break;
      }
      default:
        continue;
    }
    if (root) await lchown(target, header.uid, header.gid).catch(() => {});
  }
  for (const { path, mtime } of dirTimes.reverse()) await utimes(path, mtime, mtime).catch(() => {});
  return written;
}

function clean(name: string): string {
  const cleaned = posix.normalize(`./${name.replace(/^\/+/, '')}`).replace(/\/+$/, '');
  if (cleaned === '..' || cleaned.startsWith('../') || name.includes('\0'))
    throw new StatusError(`invalid archive entry ${name}: it is outside of the destination`, 1);
  return cleaned === '.' ? '' : cleaned;
}

/** The entry's local name after swapping its first element; undefined for entries outside `from`. */
function renamed(rel: string, { from, to }: { from: string; to: string | undefined }): string | undefined {
  // "dir/." archives name the contents from "."; they go under `to`.
  if (from === '.') return to === undefined || to === '.' ? rel : rel === '' ? to : `${to}/${rel}`;
  if (to === undefined || from === '' || from === '/') return rel;
  if (rel !== from && !rel.startsWith(`${from}/`)) return undefined;
  const rest = rel.slice(from.length).replace(/^\//, '');
  if (to === '.') return rest;
  return rest === '' ? to : `${to}/${rest}`;
}

/** Every parent of `rel` below `into` must be a real directory, not a symlink. */
async function checkParents(into: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = `${into}/${parts.slice(0, i).join('/')}`;
    const info = await lstat(parent).catch(() => undefined);
    if (!info) {
      await mkdir(parent);
      continue;
    }
    if (!info.isDirectory())
      throw new StatusError(
        `invalid archive entry ${rel}: ${parts.slice(0, i).join('/')} is not a directory`,
        1,
      );
  }
}

/** Removes a non-directory in the way of a new entry; a directory there is an error, as in docker. */
async function replaceable(target: string): Promise<void> {
  const existing = await lstat(target).catch(() => undefined);
  if (!existing) return;
  if (existing.isDirectory())
    throw new StatusError(`cannot overwrite directory ${target} with non-directory`, 1);
  await rm(target, { force: true });
}
