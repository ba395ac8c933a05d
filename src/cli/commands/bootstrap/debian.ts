/**
 * A Debian root filesystem made with `debootstrap --variant=minbase` from the
 * archive apt is configured with here (or --mirror), trimmed of what a base
 * image does not ship (downloaded packages, apt lists, the host's hostname
 * and resolver), and streamed as a tar by GNU tar.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CliContext } from '../../context.js';
import { debianMirror, requireProgram, runProgram } from './host-tools.js';

/** Used when apt names no Debian archive. */
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/** A root filesystem on disk, streamed as a tar; dispose() removes it. */
export interface BuiltRootfs {
  readonly tar: Readable;
  /** Resolves when the tar program has finished successfully. */
  readonly done: Promise<void>;
  dispose(): Promise<void>;
}

/** Mount points at or below dir, deepest first (a failed debootstrap can leave /proc mounted). */
async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
  return points.sort((a, b) => b.length - a.length);
}

/** Unmounts whatever is left under dir, then removes it. */
async function removeTree(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) await runProgram('umount', ['-l', point]).catch(() => {});
  if ((await mountsUnder(dir)).length > 0) throw new Error(`${dir} still has mounts; not removing it`);
  await rm(dir, { recursive: true, force: true });
}

/** Empties a directory of the rootfs, keeping the directory. */
async function emptyDir(dir: string, keep: readonly string[] = []): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    if (!keep.includes(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** What the official images leave out: package downloads, apt lists and host files. */
async function trimRootfs(rootfs: string): Promise<void> {
  await emptyDir(join(rootfs, 'var/cache/apt/archives'), ['partial', 'lock']);
  await emptyDir(join(rootfs, 'var/cache/apt/archives/partial'));
  await rm(join(rootfs, 'var/cache/apt/pkgcache.bin'), { force: true });
  await rm(join(rootfs, 'var/cache/apt/srcpkgcache.bin'), { force: true });
  await emptyDir(join(rootfs, 'var/lib/apt/lists'), ['partial', 'lock', 'auxfiles']);
  await rm(join(rootfs, 'etc/hostname'), { force: true });
  await rm(join(rootfs, 'etc/resolv.conf'), { force: true });
}

/** Streams a directory as a tar with numeric owners and capabilities; /dev, /proc, /sys stay empty. */
function tarDirectory(
  tar: string,
  dir: string,
  signal: AbortSignal,
): { stream: Readable; done: Promise<void> } {
  const child = spawn(
    tar,
    [
      ...['--create', '--file=-', '--numeric-owner', '--sort=name', '--one-file-system'],
      ...['--xattrs', '--xattrs-include=security.capability'],
      ...['--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*'],
      ...['-C', dir, '.'],
    ],
    { stdio: ['ignore', 'pipe', process.stderr], signal },
  );
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`tar failed (exit status ${code})`)),
    );
  });
  return { stream: child.stdout, done };
}

/**
 * Runs debootstrap for a suite and returns the root filesystem as a tar
 * stream. The signal stops debootstrap or tar; the tree is removed either way.
 */
export async function debianRootfs(
  ctx: CliContext,
  suite: string,
  mirrorFlag: string | undefined,
  signal: AbortSignal,
): Promise<BuiltRootfs> {
  const debootstrap = await requireProgram(ctx, 'debootstrap', 'debootstrap');
  const tar = await requireProgram(ctx, 'tar', 'tar');
  const mirror = mirrorFlag || (await debianMirror(suite)) || DEFAULT_MIRROR;
  const dir = await mkdtemp(join(tmpdir(), 'berth-bootstrap-'));
  const rootfs = join(dir, 'rootfs');
  try {
    ctx.err(`Running debootstrap --variant=minbase ${suite} from ${mirror}\n`);
    await runProgram(debootstrap, ['--variant=minbase', suite, rootfs, mirror], { signal });
    await trimRootfs(rootfs);
  } catch (err) {
    await removeTree(dir);
    throw err;
  }
  const { stream, done } = tarDirectory(tar, rootfs, signal);
  return { tar: stream, done, dispose: () => removeTree(dir) };
}
