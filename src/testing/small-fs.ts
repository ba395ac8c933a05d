/**
 * A small ext4 filesystem on a loop device, or a small tmpfs, in a temp dir, for disk-full
 * tests. release() unmounts it and removes the image and dir; call it in after() so it runs
 * when a test fails.
 */
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run.js';

export interface SmallFs {
  /** The mount point. */
  dir: string;
  /** Fills the filesystem up to `leaveBytes` free with a file it returns the path of. */
  fill(leaveBytes: number): Promise<string>;
  /** Takes every free inode with empty files in a directory it returns the path of. */
  fillInodes(): Promise<string>;
  release(): Promise<void>;
}

/** Mounts a fresh ext4 of `megabytes`; a string says why it cannot (no root, no loop devices). */
export async function mountSmallFs(megabytes: number): Promise<SmallFs | string> {
  if (process.getuid?.() !== 0) return 'needs root to mount a loop device';
  const base = await mkdtemp(join(tmpdir(), 'berth-small-fs-'));
  const image = join(base, 'fs.img');
  const dir = join(base, 'mnt');
  const release = async () => {
    await runCommand('umount', [dir]).then((r) => (r.code === 0 ? r : runCommand('umount', ['-l', dir])));
    await rm(base, { recursive: true, force: true });
  };
  await writeFile(image, '');
  await truncate(image, megabytes * 1024 * 1024);
  await mkdir(dir);
  // No journal: with one, ext4 retries each failing allocation after a journal commit, and on
  // a busy host every write to the full disk then takes long enough to make tests time out.
  // 4 KiB blocks, as on a real disk: mkfs gives a small image 1 KiB blocks, and a page of four
  // of them leaves up to 3 KiB free after a large write fails, enough for short lines later.
  const mkfs = await runCommand('mkfs.ext4', ['-qF', '-b4096', '-m0', '-O^has_journal', image]);
  const mount = mkfs.code === 0 ? await runCommand('mount', ['-o', 'loop', image, dir]) : mkfs;
  if (mount.code !== 0) {
    await release();
    return `cannot make a loop-mounted ext4: ${mount.stderr.trim()}`;
  }
  return withFill(dir, release);
}

/** Mounts a fresh tmpfs of `megabytes` (an exec root as small as a crowded /run). */
export async function mountSmallTmpfs(megabytes: number): Promise<SmallFs | string> {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  const dir = await mkdtemp(join(tmpdir(), 'berth-small-tmpfs-'));
  const release = async () => {
    await runCommand('umount', [dir]).then((r) => (r.code === 0 ? r : runCommand('umount', ['-l', dir])));
    await rm(dir, { recursive: true, force: true });
  };
  const mount = await runCommand('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir]);
  if (mount.code !== 0) {
    await release();
    return `cannot mount a tmpfs: ${mount.stderr.trim()}`;
  }
  return withFill(dir, release);
}

function withFill(dir: string, release: () => Promise<void>): SmallFs {
  return {
    dir,
    release,
    async fill(leaveBytes) {
      const filler = join(dir, 'filler');
      // A filler left by an earlier, failed test would make the free space look short.
      await rm(filler, { force: true });
      const df = await runCommand('df', ['-B1', '--output=avail', dir]);
      const avail = Number(df.stdout.trim().split('\n').pop());
      const size = Math.max(0, avail - leaveBytes);
      // fallocate reserves real blocks (a sparse file would not fill anything).
      const r = await runCommand('fallocate', ['-l', String(size), filler]);
      if (r.code !== 0) throw new Error(`fallocate: ${r.stderr}`);
      return filler;
    },
    async fillInodes() {
      const filler = join(dir, 'inode-filler');
      await rm(filler, { recursive: true, force: true });
      await mkdir(filler);
      for (let i = 0; ; i++) {
        try {
          await writeFile(join(filler, String(i)), '', { flag: 'wx' });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return filler;
          throw err;
        }
      }
    },
  };
}
