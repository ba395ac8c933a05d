import { readFile, realpath, rm } from 'node:fs/promises';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import { invalidArgument, wrap } from '../core/errors.js';
import { runCommand } from '../core/exec.js';
import { kernelMount, kernelUnmountAll } from '../core/kernel-calls.js';
import type { Mount } from './snapshotter.js';

/** mount(2) copies its options into one page; longer ones fail. */
const OPTIONS_LIMIT = 4096 - 1;

/**
 * Mounts `mounts` on `target` in order, with mount(2) from the process
 * launcher, or mount(8) without one. If one fails, those
 * already mounted are unmounted again. An overlay whose lowerdir list makes
 * the options longer than a page is mounted with paths relative to their
 * common directory, mounted from that directory (what containerd does), so
 * hundreds of layers fit.
 */
export async function mountAll(mounts: readonly Mount[], target: string): Promise<void> {
  const absoluteTarget = resolve(target);
  let done = 0;
  try {
    for (const mount of mounts) {
      await mountOne(mount, absoluteTarget);
      done++;
    }
  } catch (err) {
    for (; done > 0; done--) await runCommand('umount', [absoluteTarget]).catch(() => undefined);
    throw wrap(err, `failed to mount on ${target}`);
  }
}

/** Unmounts everything mounted on `target` (stacked mounts included). */
export async function unmount(target: string): Promise<void> {
  const path = await realpath(target);
  // umount2 until the kernel says nothing is mounted there: no mount table to read.
  try {
    if (await kernelUnmountAll(path)) return;
  } catch (err) {
    throw wrap(err, `failed to unmount ${target}`);
  }
  while (await isMountPoint(path)) {
    try {
      await runCommand('umount', [path]);
    } catch (err) {
      throw wrap(err, `failed to unmount ${target}`);
    }
  }
}

/** Unmounts every mount at or below `dir`, deepest first (cleanup after tests or a crash). */
export async function unmountUnder(dir: string): Promise<void> {
  const root = await realpath(dir);
  const below = (await mountPoints()).filter((path) => path === root || path.startsWith(`${root}/`));
  for (const path of below.sort((a, b) => b.length - a.length)) await unmount(path);
}

/** True if something is mounted exactly on `path` (an absolute, resolved path). */
export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}

async function mountPoints(): Promise<string[]> {
  const mountInfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountInfo
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => decodeMountPath(line.split(' ')[4] ?? ''));
}

/**
 * The mounts with overlayfs's `volatile` option on writable overlays (Linux
 * 5.10 and later): no sync of the upper layer at unmount, which otherwise
 * syncs the whole filesystem under it (10–300 ms with dirty data around).
 * Only for a layer nobody keeps: a `--rm` container's, thrown away after its exit.
 */
export function volatileMounts(mounts: readonly Mount[]): Mount[] {
  if (!kernelHasVolatileOverlay()) return [...mounts];
  return mounts.map((mount) =>
    mount.type === 'overlay' && mount.options.some((option) => option.startsWith('upperdir='))
      ? { ...mount, options: [...mount.options, 'volatile'] }
      : mount,
  );
}

function kernelHasVolatileOverlay(): boolean {
  const [major = 0, minor = 0] = release()
    .split('.')
    .map((part) => Number.parseInt(part, 10));
  return major > 5 || (major === 5 && minor >= 10);
}

async function mountOne(mount: Mount, target: string): Promise<void> {
  if (mount.type === 'overlay') await clearVolatileMark(mount);
  if (mount.type === 'bind') {
    // mount(8) turns "bind,ro" into a bind mount plus a read-only remount.
    await runCommand('mount', ['-o', mount.options.join(','), mount.source, target]);
    return;
  }
  const { options, cwd } = fitOptions(mount.options);
  if (await kernelMount(mount.source, target, mount.type, options.split(','), cwd)) return;
  await runCommand('mount', ['-t', mount.type, '-o', options, mount.source, target], { cwd });
}

/**
 * A volatile overlay leaves <workdir>/work/incompat/volatile behind, and the
 * kernel refuses to mount that workdir again until it is gone. Only Berth's own
 * volatile mounts of a `--rm` container's layer make it (see volatileMounts);
 * that layer is mounted again only for a restart of the same container.
 */
async function clearVolatileMark(mount: Mount): Promise<void> {
  const workdir = mount.options.find((option) => option.startsWith('workdir='))?.slice('workdir='.length);
  if (workdir) await rm(join(workdir, 'work', 'incompat', 'volatile'), { recursive: true, force: true });
}

/** The options as one string, made relative to a working directory if too long. */
export function fitOptions(options: readonly string[]): { options: string; cwd?: string } {
  const joined = options.join(',');
  if (joined.length <= OPTIONS_LIMIT) return { options: joined };
  const lowerIndex = options.findIndex((option) => option.startsWith('lowerdir='));
  const lowers = options[lowerIndex]?.slice('lowerdir='.length).split(':') ?? [];
  const cwd = commonDirectory(lowers);
  if (lowerIndex === -1 || cwd === '/')
    throw invalidArgument(`mount options are too long (${joined.length} bytes)`);
  const relative = lowers.map((lower) => lower.slice(cwd.length + 1)).join(':');
  const compact = options.map((option, i) => (i === lowerIndex ? `lowerdir=${relative}` : option)).join(',');
  if (compact.length > OPTIONS_LIMIT)
    throw invalidArgument(`mount options are too long (${compact.length} bytes)`);
  return { options: compact, cwd };
}

/** The deepest directory that contains every one of `paths` (absolute paths). */
function commonDirectory(paths: readonly string[]): string {
  const split = paths.map((path) => path.split('/'));
  const first = split[0] ?? [];
  let length = 0;
  while (length < first.length - 1 && split.every((parts) => parts[length] === first[length])) length++;
  return first.slice(0, length).join('/') || '/';
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function decodeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
