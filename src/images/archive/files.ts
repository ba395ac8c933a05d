import { posix } from 'node:path';
import type { ContentReader } from '../../content/content.js';
import type { Digest } from '../../core/digest.js';
import { invalidArgument } from '../../core/errors.js';

/** A regular file of an image archive: held in memory, or already a blob in the content store. */
export type ArchiveFile =
  | { kind: 'memory'; bytes: Buffer; digest: Digest }
  | { kind: 'blob'; digest: Digest; size: number };

/** Links are followed at most this many times, as Linux does. */
const MAX_LINK_HOPS = 40;

/**
 * The files of an image archive (docker save, OCI layout) once read: regular
 * files by their cleaned path, and links (symbolic or hard) resolved inside
 * the archive only, as dockerd's `FollowSymlinkInScope`: an absolute target
 * starts at the archive's root and `..` never climbs above it.
 */
export class ArchiveFiles {
  constructor(
    private readonly files: ReadonlyMap<string, ArchiveFile>,
    private readonly links: ReadonlyMap<string, string>,
  ) {}

  /** Whether the archive has a file at `path` (after following links). */
  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** The file at `path`, following links in scope; undefined if there is none. */
  get(path: string): ArchiveFile | undefined {
    const resolved = this.resolve(path);
    return resolved === undefined ? undefined : this.files.get(resolved);
  }

  /** The file at `path`; InvalidArgument naming it when the archive lacks it. */
  require(path: string): ArchiveFile {
    const file = this.get(path);
    if (!file) throw invalidArgument(`invalid archive: ${path}: no such file`);
    return file;
  }

  /** The whole content of the file at `path`. */
  async bytes(path: string, content: ContentReader): Promise<Buffer> {
    const file = this.require(path);
    return file.kind === 'memory' ? file.bytes : content.readAll(file.digest);
  }

  private resolve(path: string): string | undefined {
    let pending = splitPath(path);
    let done: string[] = [];
    for (let hops = 0; pending.length > 0; ) {
      const [part, ...rest] = pending as [string, ...string[]];
      if (part === '..') {
        done = done.slice(0, -1);
        pending = rest;
        continue;
      }
      const candidate = [...done, part].join('/');
      const target = this.links.get(candidate);
      if (target === undefined) {
        done.push(part);
        pending = rest;
        continue;
      }
      if (++hops > MAX_LINK_HOPS) return undefined;
      // Targets are stored relative to the archive root (see cleanLinkTarget).
      done = [];
      pending = [...splitPath(target), ...rest];
    }
    return done.join('/');
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/**
 * The archive path an entry name stands for ('' for the root). Names that
 * are absolute or climb out with `..` are refused: an image archive has no
 * business naming anything outside itself.
 */
export function cleanEntryPath(name: string): string {
  if (name.startsWith('/')) throw escapesArchive(name);
  const normalized = posix.normalize(name.replace(/\/+$/, '') || '.');
  if (normalized === '..' || normalized.startsWith('../')) throw escapesArchive(name);
  return normalized === '.' ? '' : normalized;
}

/** The archive path a link entry points at; refuses targets that climb out of the archive. */
export function cleanLinkTarget(linkPath: string, target: string, kind: 'symlink' | 'link'): string {
  // Hard link names are archive paths; symlink targets are relative to the link's directory.
  const joined =
    kind === 'link' || target.startsWith('/') ? target : posix.join(posix.dirname(linkPath), target);
  const normalized = posix.normalize(joined.replace(/^\/+/, '') || '.');
  if (normalized === '..' || normalized.startsWith('../')) {
    throw invalidArgument(`invalid archive entry "${linkPath}": link target "${target}" escapes the archive`);
  }
  return normalized === '.' ? '' : normalized;
}

function escapesArchive(name: string) {
  return invalidArgument(`invalid archive entry "${name}": path escapes the archive`);
}
