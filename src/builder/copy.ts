/**
 * COPY and ADD as a layer: the files to copy are planned into tar entries
 * (with Docker's source, glob, directory and trailing-slash rules) and the
 * layer tar is written straight from them, so no container or mount is
 * needed to write. The plan's content hash (paths, modes, owners, bytes)
 * keys the build cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { decompressed } from '../snapshots/decompress.js';
import type { TarHeader } from '../snapshots/tar/format.js';
import { readTar } from '../snapshots/tar/reader.js';
import { bodyPadding, END_OF_ARCHIVE, encodeEntry } from '../snapshots/tar/writer.js';
import type { PatternMatcher } from './dockerignore.js';
import { resolveInScope } from './scope.js';

/** One entry of the layer to write. */
export interface CopyEntry {
  /** Path in the image, relative, no leading slash. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'archive';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  /** Host file to read the body (or, for an archive, the tar) from. */
  source?: string;
  body?: Buffer;
  linkname?: string;
  /** The path the content hash uses: relative to the copied source, so the destination does not change it. */
  hashPath?: string;
}

/** Where the files come from and go to. */
export interface CopyRequest {
  instruction: 'COPY' | 'ADD';
  /** The directory sources are relative to: the context, or another stage's root. */
  srcRoot: string;
  /** Context exclusions (none for --from). */
  ignore?: PatternMatcher;
  fromContext: boolean;
  sources: string[];
  /** Sources already fetched (ADD URL), by position in `sources`. */
  fetched?: Map<number, FetchedSource>;
  /** Absolute destination as written (a trailing slash kept). */
  dest: string;
  /** The parent image's root, to see what exists; undefined for scratch. */
  destRoot: string | undefined;
  owner?: { uid: number; gid: number };
  mode?: number;
  /** ADD: local tar archives are extracted. */
  extractArchives: boolean;
  /** Only the content hash is wanted: the destination is not looked at. */
  hashOnly?: boolean;
}

/** An ADD URL source, downloaded into a file of the build's scratch directory. */
export interface FetchedSource {
  /** The file name the URL gives (its last path segment). */
  name: string;
  path: string;
  size: number;
  mtime: number;
}

export interface CopyPlan {
  entries: CopyEntry[];
  /** `file:<hex>`, `dir:<hex>` or `multi:<hex>`, as Docker's history shows. */
  hash: string;
}

/** Thrown with Docker's text for a source that is not there. */
export class CopySourceError extends Error {}

export async function planCopy(request: CopyRequest): Promise<CopyPlan> {
  const matches = await expandSources(request);
  const dest = request.dest;
  const many = matches.length > 1;
  const destInfo = request.destRoot ? await statInRoot(request.destRoot, dest) : undefined;
  const destIsDir = dest.endsWith('/') || destInfo?.isDirectory() === true;
  // As dockerd: the destination must end in / even when it is an existing directory.
  if (many && !dest.endsWith('/') && !request.hashOnly) {
    throw new CopySourceError(
      `When using ${request.instruction} with more than one source file, the destination must be a directory and end with a /`,
    );
  }
  const destRel = request.destRoot
    ? await resolveInScope(request.destRoot, dest)
    : posix.normalize(`/${dest}`).slice(1);
  const owner = request.owner ?? { uid: 0, gid: 0 };
  const entries: CopyEntry[] = [];
  const hashed: CopyEntry[] = [];
  for (const match of matches) {
    if (match.fetched) {
      const target = destIsDir ? join(destRel, match.fetched.name) : destRel;
      const entry = fileEntry(target, { mode: 0o600, mtime: match.fetched.mtime }, owner, request.mode);
      entries.push({
        ...entry,
        size: match.fetched.size,
        source: match.fetched.path,
        hashPath: match.fetched.name,
      });
      hashed.push(entries.at(-1)!);
      continue;
    }
    const stats = await lstat(match.abs);
    if (stats.isDirectory()) {
      const before = entries.length;
      entries.push(dirEntry(destRel, stats, owner, request.mode));
      await walkInto(request, match.abs, match.rel, destRel, owner, entries);
      for (const entry of entries.slice(before)) {
        entry.hashPath =
          entry.path === destRel ? '.' : entry.path.slice(destRel === '' ? 0 : destRel.length + 1);
        hashed.push(entry);
      }
    } else if (request.extractArchives && stats.isFile() && (await isArchive(match.abs))) {
      entries.push({
        path: destRel,
        type: 'archive',
        mode: 0,
        uid: owner.uid,
        gid: owner.gid,
        mtime: 0,
        size: stats.size,
        source: match.abs,
        hashPath: posix.basename(match.rel),
      });
      hashed.push(entries.at(-1)!);
    } else {
      const target = destIsDir ? join(destRel, posix.basename(match.rel)) : destRel;
      entries.push({
        ...(await leafEntry(match.abs, target, stats, owner, request.mode)),
        hashPath: posix.basename(match.rel),
      });
      hashed.push(entries.at(-1)!);
    }
  }
  const parents = request.destRoot ? await parentEntries(request.destRoot, entries, owner) : [];
  const kind = many ? 'multi' : hashed[0]?.type === 'directory' ? 'dir' : 'file';
  return { entries: [...parents, ...entries], hash: `${kind}:${await contentHash(hashed)}` };
}

interface Match {
  abs: string;
  rel: string;
  fetched?: FetchedSource;
}

async function expandSources(request: CopyRequest): Promise<Match[]> {
  const out: Match[] = [];
  for (const [index, source] of request.sources.entries()) {
    const fetched = request.fetched?.get(index);
    if (fetched) {
      out.push({ abs: '', rel: fetched.name, fetched });
      continue;
    }
    const clean = posix.normalize(`/${source}`).slice(1);
    if (/[*?[]/.test(clean)) {
      const re = globRegex(clean);
      const found = (await listTree(request.srcRoot, request.ignore)).filter((rel) => re.test(rel));
      if (found.length === 0)
        throw new CopySourceError(`${request.instruction} failed: no source files were specified`);
      out.push(...found.map((rel) => ({ abs: `${request.srcRoot}/${rel}`, rel })));
      continue;
    }
    const rel = clean === '' ? '' : await resolveInScope(request.srcRoot, clean);
    const excluded = request.ignore && rel !== '' && request.ignore.excludes(rel);
    const exists = await lstat(rel === '' ? request.srcRoot : `${request.srcRoot}/${rel}`).then(
      () => true,
      () => false,
    );
    if (excluded || !exists) {
      throw new CopySourceError(
        request.fromContext
          ? `${request.instruction} failed: file not found in build context or excluded by .dockerignore: stat ${clean || '.'}: file does not exist`
          : `${request.instruction} failed: stat ${clean || '.'}: file does not exist`,
      );
    }
    out.push({ abs: rel === '' ? request.srcRoot : `${request.srcRoot}/${rel}`, rel });
  }
  return out;
}

/** Go's filepath.Match over a whole relative path. */
function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += /[.+(){}|$^]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${re}$`);
}

/** Every path under root (relative), parents first, without excluded ones. */
async function listTree(root: string, ignore?: PatternMatcher): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    const names = (await readdir(dir === '' ? root : `${root}/${dir}`, { withFileTypes: true })).sort(
      (a, b) => (a.name < b.name ? -1 : 1),
    );
    for (const dirent of names) {
      const rel = dir === '' ? dirent.name : `${dir}/${dirent.name}`;
      const excluded = ignore?.excludes(rel) ?? false;
      if (!excluded) out.push(rel);
      if (dirent.isDirectory() && (!excluded || ignore?.hasExceptions)) await walk(rel);
    }
  }
  await walk('');
  return out;
}

async function walkInto(
  request: CopyRequest,
  abs: string,
  rel: string,
  destRel: string,
  owner: { uid: number; gid: number },
  entries: CopyEntry[],
): Promise<void> {
  const names = (await readdir(abs)).sort();
  for (const name of names) {
    const childRel = join(rel, name);
    const excluded = request.ignore?.excludes(childRel) ?? false;
    const childAbs = `${abs}/${name}`;
    const stats = await lstat(childAbs);
    const target = join(destRel, name);
    if (stats.isDirectory()) {
      if (!excluded) entries.push(dirEntry(target, stats, owner, request.mode));
      if (!excluded || request.ignore?.hasExceptions)
        await walkInto(request, childAbs, childRel, target, owner, entries);
    } else if (!excluded && (stats.isFile() || stats.isSymbolicLink())) {
      entries.push(await leafEntry(childAbs, target, stats, owner, request.mode));
    }
  }
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function dirEntry(
  path: string,
  stats: { mode: number; mtimeMs: number },
  owner: { uid: number; gid: number },
  mode?: number,
): CopyEntry {
  return {
    path,
    type: 'directory',
    mode: mode ?? stats.mode & 0o7777,
    uid: owner.uid,
    gid: owner.gid,
    mtime: Math.floor(stats.mtimeMs / 1000),
    size: 0,
  };
}

function fileEntry(
  path: string,
  stats: { mode: number; mtime: number },
  owner: { uid: number; gid: number },
  mode?: number,
): CopyEntry {
  return {
    path,
    type: 'file',
    mode: mode ?? stats.mode & 0o7777,
    uid: owner.uid,
    gid: owner.gid,
    mtime: stats.mtime,
    size: 0,
  };
}

async function leafEntry(
  abs: string,
  path: string,
  stats: Awaited<ReturnType<typeof lstat>>,
  owner: { uid: number; gid: number },
  mode?: number,
): Promise<CopyEntry> {
  const mtime = Math.floor(Number(stats.mtimeMs) / 1000);
  if (stats.isSymbolicLink()) {
    return {
      path,
      type: 'symlink',
      mode: 0o777,
      uid: owner.uid,
      gid: owner.gid,
      mtime,
      size: 0,
      linkname: await readlink(abs),
    };
  }
  return {
    ...fileEntry(path, { mode: Number(stats.mode), mtime }, owner, mode),
    size: Number(stats.size),
    source: abs,
  };
}

/**
 * Directories above the copied paths: those that exist in the image are
 * carried with their own owner and mode (as overlayfs copies them up), the
 * missing ones are made 0755 for the copy's owner.
 */
export async function parentEntries(
  root: string,
  entries: readonly CopyEntry[],
  owner: { uid: number; gid: number },
): Promise<CopyEntry[]> {
  const paths = new Set(entries.map((e) => e.path));
  const parents = new Set<string>();
  for (const entry of entries) {
    const parts = entry.path.split('/');
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('/'));
    if (entry.type === 'archive' && entry.path !== '') parents.add(entry.path);
  }
  const out: CopyEntry[] = [];
  for (const parent of [...parents].sort((a, b) => a.split('/').length - b.split('/').length)) {
    if (paths.has(parent) || parent === '') continue;
    try {
      const stats = await lstat(`${root}/${parent}`);
      if (stats.isDirectory())
        out.push({
          path: parent,
          type: 'directory',
          mode: stats.mode & 0o7777,
          uid: stats.uid,
          gid: stats.gid,
          mtime: Math.floor(stats.mtimeMs / 1000),
          size: 0,
        });
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      out.push({
        path: parent,
        type: 'directory',
        mode: 0o755,
        uid: owner.uid,
        gid: owner.gid,
        mtime: Math.floor(Date.now() / 1000),
        size: 0,
      });
    }
  }
  return out;
}

async function statInRoot(root: string, path: string) {
  const rel = await resolveInScope(root, path);
  return lstat(rel === '' ? root : `${root}/${rel}`).catch(() => undefined);
}

async function isArchive(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return bytesRead === 512 && head.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await handle.close();
  }
}

async function contentHash(entries: readonly CopyEntry[]): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of entries) {
    hash.update(
      `${entry.type} ${entry.hashPath ?? entry.path} ${entry.mode.toString(8)} ${entry.uid}:${entry.gid} ${entry.size} ${entry.linkname ?? ''}\n`,
    );
    if (entry.body) hash.update(entry.body);
    else if (entry.source)
      for await (const chunk of createReadStream(entry.source)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** The layer tar for a plan. */
export async function* copyLayer(entries: readonly CopyEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    if (entry.type === 'archive') {
      yield* extractedArchive(entry);
      continue;
    }
    const header: TarHeader = {
      name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
      type: entry.type,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      size: entry.type === 'file' ? entry.size : 0,
      mtime: entry.mtime,
      linkname: entry.linkname ?? '',
      devmajor: 0,
      devminor: 0,
      xattrs: new Map(),
    };
    yield* encodeEntry(header);
    if (entry.type !== 'file' || entry.size === 0) continue;
    let written = 0;
    const source: Iterable<Buffer> | AsyncIterable<Buffer> = entry.body
      ? [entry.body]
      : createReadStream(entry.source!);
    for await (const chunk of source) {
      const piece = chunk.subarray(0, Math.max(0, entry.size - written));
      written += piece.length;
      if (piece.length > 0) yield piece;
    }
    // A file that shrank while being read is padded to the size in its header.
    if (written < entry.size) yield Buffer.alloc(entry.size - written);
    yield bodyPadding(entry.size);
  }
  yield END_OF_ARCHIVE;
}

/** ADD of a local archive: its entries re-rooted under the destination; `..` never climbs out. */
async function* extractedArchive(entry: CopyEntry): AsyncGenerator<Buffer> {
  for await (const member of readTar(decompressed(createReadStream(entry.source!)))) {
    const clean = posix.normalize(`/${member.header.name}`).slice(1);
    if (clean === '' || clean.split('/').some((p) => p.startsWith('.wh.'))) continue;
    const name = join(entry.path, clean.replace(/\/$/, ''));
    const header: TarHeader = {
      ...member.header,
      name: member.header.type === 'directory' ? `${name}/` : name,
    };
    if (header.type === 'link')
      header.linkname = join(entry.path, posix.normalize(`/${header.linkname}`).slice(1));
    yield* encodeEntry(header);
    if (header.type === 'file' && header.size > 0) {
      for await (const chunk of member.body()) yield chunk;
      yield bodyPadding(header.size);
    }
  }
}
