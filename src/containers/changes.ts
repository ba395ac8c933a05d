import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { isOverlayWhiteout } from '../snapshots/whiteout.js';

/** GET /containers/{id}/changes item: Kind 0 modified, 1 added, 2 deleted. */
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/**
 * What the runtime creates in every container's layer: mount points for
 * /proc, /sys, /dev and the files berthd bind-mounts. dockerd keeps these
 * in an "init" layer below the container's, so its diff never shows them.
 */
const INIT_PATHS = new Set([
  '/dev',
  '/dev/pts',
  '/dev/shm',
  '/dev/console',
  '/dev/mqueue',
  '/proc',
  '/sys',
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/etc/mtab',
  '/.dockerenv',
]);

const MODIFIED = 0;
const ADDED = 1;
const DELETED = 2;

/**
 * The changes of a container's writable overlay layer against the layers
 * below it, as dockerd's overlay driver reports them (moby archive
 * `changes` with overlay whiteouts): a whiteout is a deletion; a path in
 * no lower layer is an addition; one in a lower layer is a modification,
 * except a directory whose size, mode and mtime equal the lower one's; the
 * parent of an added or deleted path is reported modified once. Walk order
 * is Go's filepath.Walk: depth first, names in byte order.
 */
export async function overlayChanges(upperDir: string, lowerDirs: readonly string[]): Promise<Change[]> {
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  for await (const [path, stats] of walk(upperDir, '')) {
    const kind = await kindOf(path, stats, lowerDirs);
    if (kind === undefined) continue;
    if (stats.isDirectory()) changedDirs.add(path);
    if (kind === ADDED || kind === DELETED) {
      const parent = path.slice(0, path.lastIndexOf('/')) || '/';
      if (parent !== '/' && !changedDirs.has(parent)) {
        changes.push({ Path: parent, Kind: MODIFIED });
        changedDirs.add(parent);
      }
    }
    changes.push({ Path: path, Kind: kind });
  }
  return withoutInitPaths(changes);
}

/** Drops the init paths, and the parents reported modified only because of them. */
function withoutInitPaths(changes: Change[]): Change[] {
  const kept = changes.filter((c) => !INIT_PATHS.has(c.Path));
  const initParents = new Set([...INIT_PATHS].map((p) => p.slice(0, p.lastIndexOf('/')) || '/'));
  return kept.filter(
    (c) =>
      c.Kind !== MODIFIED ||
      !initParents.has(c.Path) ||
      kept.some((other) => other.Path.startsWith(`${c.Path}/`)),
  );
}

/** The change at `path`; undefined for a directory that is only there because something under it changed. */
async function kindOf(
  path: string,
  stats: Stats,
  lowerDirs: readonly string[],
): Promise<Change['Kind'] | undefined> {
  if (isOverlayWhiteout(stats)) return DELETED;
  for (const lower of lowerDirs) {
    const below = await lstat(lower + path).catch(() => undefined);
    if (!below) continue;
    if (below.isDirectory() && stats.isDirectory() && sameDirectory(stats, below)) return undefined;
    return MODIFIED;
  }
  return ADDED;
}

function sameDirectory(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mode === b.mode && Math.floor(a.mtimeMs) === Math.floor(b.mtimeMs);
}

async function* walk(root: string, dir: string): AsyncGenerator<[string, Stats]> {
  const names = (await readdir(root + dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const path = `${dir}/${name}`;
    const stats = await lstat(root + path);
    yield [path, stats];
    if (stats.isDirectory()) yield* walk(root, path);
  }
}

/** The upper and lower directories of an overlay snapshot's mounts (lowers topmost first). */
export function overlayDirs(mounts: readonly { type: string; source: string; options: string[] }[]): {
  upper: string | undefined;
  lowers: string[];
} {
  const overlay = mounts.find((m) => m.type === 'overlay');
  if (!overlay) {
    // A snapshot without parent is a bind mount of its own directory: everything in it was added.
    const bind = mounts.find((m) => m.type === 'bind');
    return { upper: bind?.source, lowers: [] };
  }
  const option = (key: string) => overlay.options.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);
  return { upper: option('upperdir'), lowers: (option('lowerdir') ?? '').split(':').filter(Boolean) };
}
