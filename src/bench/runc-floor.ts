import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../core/exec.js';
import { timeCommand } from './proc.js';

/** An OCI bundle of busybox running `true`, and runc state of its own. */
export interface RuncFloor {
  /** Times one `runc run` of the bundle under a fresh container id. */
  once(): Promise<number>;
  cleanup(): Promise<void>;
}

/**
 * The physical floor of `run --rm busybox true`: the OCI runtime alone on a
 * bundle prepared once (rootfs unpacked from the busybox layer, runc's
 * default spec running `true`, no network but its own namespace). Each run
 * uses a unique id; `runc run` deletes the container when `true` exits.
 */
export async function prepareRuncFloor(busyboxArchive: string): Promise<RuncFloor> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-runc-'));
  const bundle = join(dir, 'bundle');
  const state = join(dir, 'state');
  let next = 0;
  try {
    const archive = join(dir, 'archive');
    await mkdir(join(bundle, 'rootfs'), { recursive: true });
    await mkdir(archive);
    await runCommand('tar', ['-xf', busyboxArchive, '-C', archive]);
    const [manifest] = JSON.parse(await readFile(join(archive, 'manifest.json'), 'utf8')) as {
      Layers: string[];
    }[];
    for (const layer of manifest!.Layers) {
      await runCommand('tar', [
        '--numeric-owner',
        '-xpf',
        join(archive, layer),
        '-C',
        join(bundle, 'rootfs'),
      ]);
    }
    await rm(archive, { recursive: true, force: true });
    await runCommand('runc', ['spec', '--bundle', bundle]);
    const specPath = join(bundle, 'config.json');
    const spec = JSON.parse(await readFile(specPath, 'utf8')) as {
      process: { args: string[]; terminal: boolean };
    };
    spec.process.args = ['true'];
    spec.process.terminal = false;
    await writeFile(specPath, JSON.stringify(spec));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const tag = Math.random().toString(16).slice(2, 8);
  return {
    once: () =>
      timeCommand('runc', ['--root', state, 'run', '--bundle', bundle, `berth-floor-${tag}-${next++}`]),
    async cleanup() {
      // A run that failed half-way may leave its container: delete whatever is left, then the files.
      const listed = await runCommand('runc', ['--root', state, 'list', '-q']).catch(() => undefined);
      for (const id of listed?.stdout.split('\n').filter(Boolean) ?? []) {
        await runCommand('runc', ['--root', state, 'delete', '--force', id]).catch(() => {});
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
