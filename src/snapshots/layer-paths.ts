import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { posix } from 'node:path';
import { errnoCode, invalidArgument } from '../core/errors.js';

/**
 * Resolves archive paths inside a layer directory without ever following a
 * symlink. Entry names are cleaned; a name that climbs out with `..` is
 * refused, and an absolute one is taken relative to the root, as Docker and
 * containerd do. Every parent is checked with lstat: a parent that is a
 * symlink (to anywhere) or not a directory is refused. Directories already
 * checked or created in this run are remembered, so deep trees cost one
 * lstat per directory, not one per entry and level.
 *
 * Paths it returns are relative to the root ('' is the root itself), with
 * '/' separators and no leading or trailing slash.
 *
 * The common case (parents known, nothing pending) is answered without a
 * promise: a layer of hard links or symlinks is mostly such entries, and a
 * round of awaits per entry costs more than the link(2) it makes.
 */
export class LayerPaths {
  private readonly knownDirs = new Set<string>(['']);
  /** Non-directories this run created and nothing replaced since: hard links to them need no lstat. */
  private readonly knownFiles = new Set<string>();
  /** The parent last found in knownDirs: its siblings are answered without a slice and a hash. */
  private recentParent: string | undefined;

  /**
   * @param root the layer directory, owned by this run: nothing else changes it meanwhile.
   * @param work the run's in-flight work on paths, waited for before a path is inspected.
   */
  constructor(
    readonly root: string,
    private readonly work: PendingWork,
  ) {}

  /** The absolute path of a relative one. */
  abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** The relative path an archive entry names; throws if it escapes the root. */
  entryPath(name: string): string {
    return cleanArchivePath(name, `layer entry ${name}`);
  }

  /** True if the parent of `rel` is a directory this run made or checked (and so are its ancestors). */
  parentKnown(rel: string): boolean {
    const slash = rel.lastIndexOf('/');
    const recent = this.recentParent;
    if (recent !== undefined && slash === recent.length && rel.startsWith(recent)) return true;
    const parent = slash === -1 ? '' : rel.slice(0, slash);
    if (!this.knownDirs.has(parent)) return false;
    this.recentParent = parent;
    return true;
  }

  /** Creates missing parents of `rel` (mode 0755) and checks existing ones are real directories. */
  async ensureParents(rel: string, entry: string): Promise<void> {
    if (this.parentKnown(rel)) return;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      await this.ensureDirectory(parts.slice(0, i).join('/'), entry);
    }
  }

  /** True if `rel` is a directory this run made or checked. */
  isKnownDirectory(rel: string): boolean {
    return this.knownDirs.has(rel);
  }

  /** Records that `rel` is now a directory this run made or checked. */
  rememberDirectory(rel: string): void {
    this.knownDirs.add(rel);
    this.knownFiles.delete(rel);
  }

  /** Records that this run created a file, symlink or hard link at `rel`. */
  rememberFile(rel: string): void {
    this.knownFiles.add(rel);
  }

  /** Forgets `rel` and everything under it, after it was removed or replaced. */
  forget(rel: string): void {
    this.recentParent = undefined;
    for (const known of [this.knownDirs, this.knownFiles]) {
      for (const path of known) if (path === rel || path.startsWith(`${rel}/`)) known.delete(path);
    }
    this.knownDirs.add('');
  }

  /**
   * The relative path a hard link points to. Tar stores it as an archive path;
   * it must stay inside the layer, pass through no symlink and name an
   * existing non-directory.
   */
  async linkTarget(linkname: string, entry: string): Promise<string> {
    const rel = cleanArchivePath(linkname, `hard link ${entry} target ${linkname}`);
    // A known parent was checked with all its ancestors, and is forgotten when any is replaced.
    if (!this.parentKnown(rel)) {
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        await this.checkExistingDirectory(parts.slice(0, i).join('/'), entry);
      }
    }
    if (this.work.pending(rel)) await this.work.settle(rel);
    if (rel !== '' && this.knownFiles.has(rel)) return rel;
    const stats = lstatSync(this.abs(rel), { throwIfNoEntry: false });
    if (!stats || stats.isDirectory() || rel === '') {
      throw invalidArgument(`hard link ${entry} points to ${linkname}, which is not a file in this layer`);
    }
    return rel;
  }

  /**
   * {@link linkTarget} when the answer needs no wait and no system call: a
   * file this run created, in a known directory, with no write pending (a
   * queued write must land before a link may share its inode). Otherwise
   * undefined, and the caller asks {@link linkTarget}.
   */
  knownLinkTarget(linkname: string, entry: string): string | undefined {
    const rel = cleanArchivePath(linkname, `hard link ${entry} target ${linkname}`);
    if (rel === '' || !this.parentKnown(rel) || this.work.pending(rel) || !this.knownFiles.has(rel)) {
      return undefined;
    }
    return rel;
  }

  private async ensureDirectory(rel: string, entry: string): Promise<void> {
    if (this.knownDirs.has(rel)) return;
    await this.work.settle(rel);
    try {
      await this.checkExistingDirectory(rel, entry);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      mkdirSync(this.abs(rel));
      chmodSync(this.abs(rel), 0o755); // mkdir's mode is filtered by the umask
      this.knownDirs.add(rel);
    }
  }

  private async checkExistingDirectory(rel: string, entry: string): Promise<void> {
    if (this.knownDirs.has(rel)) return;
    await this.work.settle(rel);
    const stats = lstatSync(this.abs(rel));
    if (stats.isSymbolicLink()) throw invalidArgument(`layer entry ${entry} passes through symlink ${rel}`);
    if (!stats.isDirectory()) throw invalidArgument(`layer entry ${entry} needs ${rel} to be a directory`);
    this.knownDirs.add(rel);
  }
}

/** In-flight work on paths of the layer: device nodes and file writes not yet on disk. */
export interface PendingWork {
  /** True if something is in flight for `rel` (cheap; called per entry). */
  pending(rel: string): boolean;
  /** Waits until nothing is in flight for `rel`; throws an earlier failure. */
  settle(rel: string): Promise<void>;
}

/** A name with none of these is clean already: no leading, trailing or double slash, no `.` or `..` part. */
const UNCLEAN_PATH = /^\/|\/$|\/\/|(?:^|\/)\.\.?(?:\/|$)|\0/;

/** Cleans an archive path to a root-relative one, refusing any that climbs out. */
export function cleanArchivePath(name: string, what: string): string {
  if (name !== '' && !UNCLEAN_PATH.test(name)) return name;
  if (name.includes('\0')) throw invalidArgument(`${what} contains a NUL byte`);
  const cleaned = posix.normalize(`./${name.replace(/^\/+/, '')}`).replace(/\/+$/, '');
  if (cleaned === '..' || cleaned.startsWith('../')) throw invalidArgument(`${what} escapes the layer root`);
  return cleaned === '.' ? '' : cleaned;
}
