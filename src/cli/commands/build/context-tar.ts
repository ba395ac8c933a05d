/**
 * The build context as the Docker CLI sends it: the directory's files as a
 * tar, without what `.dockerignore` excludes (the Dockerfile and
 * `.dockerignore` themselves are always sent; the daemon drops them again
 * if excluded), owners 0:0, modes and mtimes kept.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { PatternMatcher, readDockerignore } from '../../../builder/dockerignore.js';
import { type TarEntry, tarHeader } from '../bootstrap/tar-writer.js';

interface Member {
  entry: TarEntry;
  mtime: number;
}

/** Lists the context's members; `extra` adds files (a Dockerfile from outside the context). */
export async function contextMembers(dir: string, keep: readonly string[]): Promise<Member[]> {
  const ignoreText = await readFile(`${dir}/.dockerignore`, 'utf8').catch(() => '');
  const ignore = new PatternMatcher(readDockerignore(ignoreText));
  const always = new Set(['.dockerignore', ...keep]);
  const members: Member[] = [];
  async function walk(rel: string): Promise<void> {
    const names = (await readdir(rel === '' ? dir : `${dir}/${rel}`)).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = `${dir}/${path}`;
      const stats = await lstat(abs);
      const excluded = !always.has(path) && ignore.excludes(path);
      const mtime = Math.floor(stats.mtimeMs / 1000);
      const mode = stats.mode & 0o7777;
      if (stats.isDirectory()) {
        if (!excluded) members.push({ entry: { type: 'dir', path, mode }, mtime });
        if (!excluded || ignore.hasExceptions) await walk(path);
      } else if (excluded) {
      } else if (stats.isFile()) {
        members.push({ entry: { type: 'disk-file', path, mode, source: abs, size: stats.size }, mtime });
      } else if (stats.isSymbolicLink()) {
        members.push({ entry: { type: 'symlink', path, target: await readlink(abs) }, mtime });
      }
    }
  }
  await walk('');
  return members;
}

async function* chunks(members: readonly Member[], extra: readonly Member[]): AsyncGenerator<Buffer> {
  for (const { entry, mtime } of [...members, ...extra]) {
    yield tarHeader(entry, { uid: 0, gid: 0, mtime });
    let size = 0;
    if (entry.type === 'file') {
      size = entry.content.length;
      yield entry.content;
    } else if (entry.type === 'disk-file') {
      for await (const chunk of createReadStream(entry.source, { end: entry.size - 1 })) {
        size += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (size < entry.size) yield Buffer.alloc(entry.size - size);
      size = entry.size;
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(1024);
}

/** The context tar stream. */
export function contextTar(members: readonly Member[], extra: readonly Member[] = []): Readable {
  return Readable.from(chunks(members, extra), { objectMode: false });
}
