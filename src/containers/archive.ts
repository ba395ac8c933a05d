import type { Stats } from 'node:fs';
import { chmod, lchown, lstat, mkdir, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { errnoCode, invalidArgument, notFound, permissionDenied } from '../core/errors.js';
import type { IdMap } from '../core/id-map.js';
import { decompressed } from '../snapshots/decompress.js';
import {
  makeDirectory,
  makeHardLink,
  makeSymlink,
  removeEntry,
  writeStreamedFile,
} from '../snapshots/entry-writers.js';
import { cleanArchivePath } from '../snapshots/layer-paths.js';
import { isMountPoint, mountAll, unmount } from '../snapshots/mount.js';
import { readTar } from '../snapshots/tar/reader.js';
import { tarTree } from '../snapshots/tar/tree.js';
import { type ContainerRecord, ZERO_TIME } from './record.js';
import { resolveInRoot, resolveRelative } from './root-path.js';
import type { ContainerService } from './service.js';
import { resolveUser } from './spec/user.js';

/** X-Docker-Container-Path-Stat's document (API ContainerPathStat). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits: permissions plus type flags in the high bits. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** One freeze of a running container, shared by the requests that need it. */
interface Freeze {
  holders: number;
  ready: Promise<void>;
  thaw(): Promise<void>;
}

/** A container's root filesystem, mounted for as long as it is held. */
interface HeldRoot {
  root: string;
  release(): Promise<void>;
}

/**
 * Files in and out of a container (docker cp, export): through the mounted
 * root of a running container, or a mount made for the request of a
 * stopped one. Paths resolve inside the container's root with symlinks
 * followed as the container sees them, so nothing outside it is reachable.
 */
export class ContainerArchive {
  private readonly freezes = new Map<string, Freeze>();
  private readonly thawing = new Map<string, Promise<void>>();

  constructor(private readonly service: ContainerService) {}

  private async hold(record: ContainerRecord): Promise<HeldRoot> {
    const live = this.service.rootfsPath(record.Id);
    if (record.State.Running && (await isMountPoint(live))) return this.freeze(record, live);
    const base = join(this.service.deps.execRoot, 'archive');
    await mkdir(base, { recursive: true, mode: 0o700 });
    const root = await mkdtemp(join(base, `${record.Id.slice(0, 12)}-`));
    try {
      await mountAll(await this.service.deps.snapshotter.mounts(record.SnapshotKey), root);
    } catch (err) {
      await rm(root, { recursive: true, force: true });
      throw err;
    }
    return {
      root,
      release: async () => {
        await unmount(root).catch(() => {});
        await rm(root, { recursive: true, force: true }).catch(() => {});
      },
    };
  }

  /**
   * A running container is frozen while its files are read or written: its
   * processes could otherwise swap a checked directory for a symlink between
   * our check and our use of it (CVE-2018-15664). One already paused stays so.
   */
  private async freeze(record: ContainerRecord, root: string): Promise<HeldRoot> {
    if (record.State.Paused) return { root, release: async () => {} };
    // Requests share one freeze; the last to finish thaws.
    let freeze = this.freezes.get(record.Id);
    if (!freeze) {
      const runtime = this.service.runtimeOf(record);
      const entry: Freeze = {
        holders: 0,
        // A thaw still under way finishes before the next freeze.
        ready: (this.thawing.get(record.Id) ?? Promise.resolve()).then(() => runtime.pause(record.Id)),
        thaw: () => runtime.resume(record.Id).catch(() => {}),
      };
      freeze = entry;
      this.freezes.set(record.Id, entry);
      entry.ready.catch(() => this.freezes.delete(record.Id));
    }
    freeze.holders++;
    const held = freeze;
    try {
      await held.ready;
    } catch (err) {
      held.holders--;
      throw err;
    }
    return {
      root,
      release: async () => {
        if (--held.holders > 0) return;
        this.freezes.delete(record.Id);
        const thaw = held.thaw();
        this.thawing.set(record.Id, thaw);
        await thaw;
        if (this.thawing.get(record.Id) === thaw) this.thawing.delete(record.Id);
      },
    };
  }

  private async withRoot<T>(
    ref: string,
    fn: (root: string, record: ContainerRecord) => Promise<T>,
  ): Promise<T> {
    const record = this.service.store.get(ref);
    const held = await this.hold(record);
    try {
      return await fn(held.root, record);
    } finally {
      await held.release();
    }
  }

  /** HEAD /containers/{id}/archive. */
  stat(ref: string, path: string): Promise<PathStat> {
    return this.withRoot(ref, (root, record) => statIn(root, ref, path, record).then((s) => s.stat));
  }

  /** GET /containers/{id}/archive: the path's stat and a tar of it named after the path's last element. */
  async get(ref: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
    const record = this.service.store.get(ref);
    const held = await this.hold(record);
    try {
      const { stat, host } = await statIn(held.root, ref, path, record);
      // Entries are named after the path asked for, not where a symlink led (dockerd's rebase).
      const tar = tarTree(host, stat.name === '/' ? '.' : stat.name, this.service.deps.idMap);
      const release = () => void held.release();
      tar.once('close', release);
      return { stat, tar };
    } catch (err) {
      await held.release();
      throw err;
    }
  }

  /** GET /containers/{id}/export: the whole root filesystem. */
  async export(ref: string): Promise<Readable> {
    const record = this.service.store.get(ref);
    const held = await this.hold(record);
    const tar = tarTree(held.root, '', this.service.deps.idMap);
    tar.once('close', () => void held.release());
    return tar;
  }

  /** PUT /containers/{id}/archive: unpacks a tar into the directory `path`. */
  put(
    ref: string,
    path: string,
    body: AsyncIterable<Buffer>,
    options: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {},
  ): Promise<void> {
    return this.withRoot(ref, async (root, record) => {
      if ((record.HostConfig as { ReadonlyRootfs?: boolean }).ReadonlyRootfs)
        throw permissionDenied('container rootfs is marked read-only');
      const dest = await resolveRelative(root, posix.join('/', path), true);
      const stats = await lstat(root + dest).catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw fileNotFound(path, ref);
        throw err;
      });
      if (!stats.isDirectory()) throw invalidArgument('extraction point is not a directory');
      const owner = options.copyUIDGID ? await containerUser(root, record) : undefined;
      await extractInto(root, dest, body, {
        noOverwriteDirNonDir: Boolean(options.noOverwriteDirNonDir),
        owner,
        idMap: this.service.deps.idMap,
      });
    });
  }
}

function fileNotFound(path: string, ref: string) {
  return notFound(`Could not find the file ${path} in container ${ref}`);
}

/** dockerd's StatPath: the last element is not followed; a symlink reports where it leads, inside the root. */
async function statIn(root: string, ref: string, path: string, record: ContainerRecord) {
  const absPath = preserveTrailing(posix.join('/', path), path);
  const dir = await resolveRelative(root, posix.dirname(absPath), true);
  const base = absPath.endsWith('/.') ? '.' : posix.basename(absPath);
  const inContainer = `${dir}${base === '' ? '' : `/${base}`}`;
  const host = bindMountedFile(record, inContainer) ?? `${root}${inContainer}`;
  const stats = await lstat(host).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw fileNotFound(path, ref);
    throw err;
  });
  const linkTarget = stats.isSymbolicLink() ? (await resolveRelative(root, absPath, true)) || '/' : '';
  const name = base === '' ? '/' : base;
  const stat: PathStat = {
    name,
    size: stats.size,
    mode: goFileMode(stats),
    mtime: goTime(stats.mtimeMs),
    linkTarget,
  };
  return { stat, host };
}

/**
 * The host file behind /etc/hostname, /etc/hosts and /etc/resolv.conf: the
 * container sees berthd's files there (bind mounts), and so does docker cp.
 */
function bindMountedFile(record: ContainerRecord, containerPath: string): string | undefined {
  const files: Record<string, string> = {
    '/etc/hostname': record.HostnamePath,
    '/etc/hosts': record.HostsPath,
    '/etc/resolv.conf': record.ResolvConfPath,
  };
  const host = files[containerPath];
  return host && record.State.StartedAt !== ZERO_TIME ? host : undefined;
}

/** Go's RFC 3339 with nanoseconds as time.Time marshals it: no trailing zeros in the fraction. */
function goTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** moby's PreserveTrailingDotOrSeparator: "dir/." and "dir/" keep their meaning after cleaning. */
function preserveTrailing(cleaned: string, original: string): string {
  if ((original.endsWith('/.') || original === '.') && !cleaned.endsWith('/.'))
    return cleaned === '/' ? '/.' : `${cleaned}/.`;
  return cleaned;
}

/** Go's os.FileMode for a stat: permission bits plus Go's own type and special-bit flags. */
export function goFileMode(stats: Stats): number {
  let mode = stats.mode & 0o777;
  if (stats.mode & 0o4000) mode |= 1 << 23;
  if (stats.mode & 0o2000) mode |= 1 << 22;
  if (stats.mode & 0o1000) mode |= 1 << 20;
  if (stats.isDirectory()) mode |= 1 << 31;
  else if (stats.isSymbolicLink()) mode |= 1 << 27;
  else if (stats.isBlockDevice()) mode |= 1 << 26;
  else if (stats.isCharacterDevice()) mode |= (1 << 26) | (1 << 21);
  else if (stats.isFIFO()) mode |= 1 << 25;
  else if (stats.isSocket()) mode |= 1 << 24;
  return mode >>> 0;
}

/** The container user's uid and gid (docker cp -a), from the container's own passwd and group files. */
async function containerUser(
  root: string,
  record: ContainerRecord,
): Promise<{ uid: number; gid: number } | undefined> {
  const user = String(record.Config.User ?? '');
  if (user === '') return undefined;
  const [passwd, group] = await Promise.all([
    readFile(await resolveInRoot(root, '/etc/passwd'), 'utf8').catch(() => ''),
    readFile(await resolveInRoot(root, '/etc/group'), 'utf8').catch(() => ''),
  ]);
  const resolved = resolveUser(user, [], passwd, group);
  return { uid: resolved.uid, gid: resolved.gid };
}

/**
 * Unpacks a (possibly compressed) tar under container directory `dest`.
 * Each entry's parent is resolved inside the root, so an entry naming a
 * path through a symlink (the archive's or the container's) lands where
 * the container would put it, never outside; names that climb above
 * `dest` are refused, as dockerd's untar refuses a breakout.
 */
async function extractInto(
  root: string,
  dest: string,
  body: AsyncIterable<Buffer>,
  options: {
    noOverwriteDirNonDir: boolean;
    owner: { uid: number; gid: number } | undefined;
    /** A remapped daemon: the tar's owners are container IDs, written as host IDs (dockerd's untar IDMap). */
    idMap: IdMap | undefined;
  },
): Promise<void> {
  const dirTimes: { abs: string; mtime: number }[] = [];
  for await (const entry of readTar(decompressed(body))) {
    const header = { ...entry.header, ...(options.owner ?? {}) };
    if (options.idMap) Object.assign(header, options.idMap.toHost(header.uid, header.gid));
    const rel = cleanArchivePath(header.name, `archive entry ${header.name}`);
    if (rel === '') continue;
    const target = `${dest}/${rel}`;
    const parent = await resolveInRoot(root, posix.dirname(target), true);
    await mkdir(parent, { recursive: true, mode: 0o755 });
    const abs = `${parent}/${posix.basename(target)}`;
    const existing = await lstat(abs).catch(() => undefined);
    if (existing && options.noOverwriteDirNonDir) {
      if (existing.isDirectory() && header.type !== 'directory')
        throw invalidArgument(`cannot overwrite directory "${target}" with non-directory "${rel}"`);
      if (!existing.isDirectory() && header.type === 'directory')
        throw invalidArgument(`cannot overwrite non-directory "${target}" with directory "${rel}"`);
    }
    switch (header.type) {
      case 'directory':
        if (existing && !existing.isDirectory()) await removeEntry(abs);
        await makeDirectory(abs);
        await lchown(abs, header.uid, header.gid);
        await chmod(abs, header.mode);
        dirTimes.push({ abs, mtime: header.mtime });
        break;
      case 'file':
        await writeStreamedFile(abs, entry.body(), header);
        break;
      case 'symlink':
        makeSymlink(abs, header.linkname, header);
        break;
      case 'link': {
        const linkRel = cleanArchivePath(header.linkname, `hard link ${header.name}`);
        await makeHardLink(await resolveInRoot(root, `${dest}/${linkRel}`, false), abs);
        break;
      }
      default:
        // Devices and fifos: docker cp of such nodes is rare; they are skipped rather than made half-right.
        break;
    }
  }
  // Directory times last: creating their children changed them.
  for (const { abs, mtime } of dirTimes.reverse()) await utimes(abs, mtime, mtime).catch(() => {});
}
