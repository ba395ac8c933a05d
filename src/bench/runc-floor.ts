import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toSpecRequest } from '../containers/create-request.js';
import { generateSpec } from '../containers/spec/generate.js';
import { readSpecHost } from '../containers/spec/host.js';
import { serializeSpec } from '../containers/spec/oci.js';
import { runCommand } from '../core/exec.js';
import { timeCommand } from './proc.js';

/** An OCI bundle of busybox running `true`, and runc state of its own. */
export interface RuncFloor {
  /** Times one `runc run` of the bundle under a fresh container id. */
  once(): Promise<number>;
  cleanup(): Promise<void>;
}

/**
 * Which container the floor runs: runc's own default spec (`runc spec`: no
 * seccomp filter, runc's capabilities), or the spec berthd writes for
 * `run --rm --network none busybox true` — Docker's seccomp profile,
 * capabilities, masked paths and a cgroup of its own — so that the difference
 * to a daemon is the daemon's work, not the container's security settings.
 */
export type FloorSpec = 'runc-default' | 'berthd';

/**
 * The physical floor of `run --rm busybox true`: the OCI runtime alone on a
 * bundle prepared once (rootfs unpacked from the busybox layer, a spec
 * running `true`, no network but its own namespace). Each run uses a unique
 * id; `runc run` deletes the container when `true` exits.
 */
export async function prepareRuncFloor(
  busyboxArchive: string,
  kind: FloorSpec = 'runc-default',
): Promise<RuncFloor> {
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
    if (kind === 'berthd') await writeBerthdSpec(bundle, dir);
    else await writeRuncDefaultSpec(bundle);
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

async function writeRuncDefaultSpec(bundle: string): Promise<void> {
  await runCommand('runc', ['spec', '--bundle', bundle]);
  const specPath = join(bundle, 'config.json');
  const spec = JSON.parse(await readFile(specPath, 'utf8')) as {
    process: { args: string[]; terminal: boolean };
  };
  spec.process.args = ['true'];
  spec.process.terminal = false;
  await writeFile(specPath, JSON.stringify(spec));
}

/** The spec berthd generates for `run --rm --network none busybox true`, on this bundle's rootfs. */
async function writeBerthdSpec(bundle: string, dir: string): Promise<void> {
  const id = `bench-floor-${Math.random().toString(16).slice(2, 10)}`;
  const rootfs = join(bundle, 'rootfs');
  const files = {
    hostname: join(dir, 'hostname'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
  };
  await writeFile(files.hostname, `${id.slice(0, 12)}\n`);
  await writeFile(files.hosts, '127.0.0.1\tlocalhost\n');
  await writeFile(files.resolvConf, 'nameserver 127.0.0.1\n');
  const request = toSpecRequest(
    id,
    { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } },
    () => 0,
  );
  request.entrypoint = [];
  request.cmd = ['true'];
  request.env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  request.network = 'private';
  const readEtc = (name: string) => readFile(join(rootfs, 'etc', name), 'utf8').catch(() => '');
  const { spec } = await generateSpec(
    {
      container: request,
      image: { entrypoint: null, cmd: null, env: [], workingDir: '', user: '' },
      files: {
        rootfs,
        hostnamePath: files.hostname,
        hostsPath: files.hosts,
        resolvConfPath: files.resolvConf,
      },
      passwd: await readEtc('passwd'),
      group: await readEtc('group'),
    },
    await readSpecHost(),
  );
  await writeFile(join(bundle, 'config.json'), serializeSpec(spec));
}
