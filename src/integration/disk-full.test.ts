import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type RegistryProcess,
  runRegistryCommand,
  startRegistryProcess,
} from '../registry/testing/process.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { type DistributionRegistry, startDistributionRegistry } from '../testing/distribution-registry.js';
import { pushBusybox, skopeoBinary } from '../testing/governed-registry.js';
import { digestOf, ociPusher } from '../testing/oci-push.js';
import { bin, busyboxArchive, dockerCli } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';
import { mountSmallFs, type SmallFs } from '../testing/small-fs.js';

// Data roots on a small loop-mounted ext4 that is then filled: load, pull and registry
// pushes fail with "no space left on device" naming the file, leave a store that checks
// clean, and succeed once space is freed.

const docker = dockerCli();
const MB = 1024 * 1024;

describe('a full disk under berthd', { skip: docker ? false : 'no docker CLI' }, () => {
  let fs: SmallFs | string;
  let daemon: TestDaemon | undefined;
  // The exec root (conmon's exit files, attach sockets) is off the small disk, as /run is.
  let execRoot: string | undefined;
  let distribution: DistributionRegistry | undefined;
  const cli = (...args: string[]) =>
    runCommand(docker!, ['-H', daemon!.host, ...args], { timeoutMs: 120_000 });
  const checkStopped = async () => {
    await daemon!.stop({ keepNetworks: true });
    const r = await runCommand(process.execPath, [
      bin('berth'),
      'system',
      'check',
      '--data-root',
      daemon!.dataRoot,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    daemon = await startDaemon({ dir: (fs as SmallFs).dir, execRoot });
  };

  const ensureBusybox = async () => {
    if ((await cli('image', 'inspect', 'busybox')).code !== 0) {
      assert.equal((await cli('load', '-i', busyboxArchive)).code, 0);
    }
  };

  before(async () => {
    fs = await mountSmallFs(48);
    if (typeof fs === 'string') return;
    const config: Record<string, unknown> = {};
    if (skopeoBinary) {
      distribution = await startDistributionRegistry();
      const pushed = await pushBusybox(`docker://${distribution.host}/full/busybox:1`);
      assert.equal(pushed.code, 0, pushed.stderr);
      config['insecure-registries'] = [distribution.host];
    }
    execRoot = await mkdtemp(join(tmpdir(), 'berth-full-exec-'));
    daemon = await startDaemon({ dir: fs.dir, execRoot, config });
  });
  after(async () => {
    await daemon?.stop();
    if (execRoot) await rm(execRoot, { recursive: true, force: true });
    await distribution?.stop();
    if (typeof fs !== 'string') await fs?.release();
  });

  it('load and pull say which file hit the full disk, leave a clean store, and work once space is freed', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    const filler = await fs.fill(MB);
    const load = await cli('load', '-i', busyboxArchive);
    assert.notEqual(load.code, 0);
    assert.match(load.stderr, new RegExp(`${fs.dir}/data/\\S+: no space left on device`));
    if (distribution) {
      const pull = await cli('pull', `${distribution.host}/full/busybox:1`);
      assert.notEqual(pull.code, 0);
      assert.match(pull.stdout + pull.stderr, new RegExp(`${fs.dir}/data/\\S+: no space left on device`));
    }
    await checkStopped();

    await rm(filler);
    assert.equal((await cli('load', '-i', busyboxArchive)).code, 0);
    if (distribution) {
      const pull = await cli('pull', `${distribution.host}/full/busybox:1`);
      assert.equal(pull.code, 0, pull.stderr);
    }
    const ran = await cli('run', '--rm', 'busybox', 'echo', 'fits');
    assert.equal(ran.stdout, 'fits\n', ran.stderr);
    await checkStopped();
  });

  it('a build whose RUN fills the disk fails at that step, leaves a clean store, and builds once space is freed', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    const context = await mkdtemp(join(tmpdir(), 'berth-full-build-'));
    t.after(() => rm(context, { recursive: true, force: true }));
    await writeFile(
      join(context, 'Dockerfile'),
      'FROM busybox\nCOPY small /small\nRUN head -c 3000000 /dev/zero > /zeros\n',
    );
    await writeFile(join(context, 'small'), 'x'.repeat(1000));
    await ensureBusybox();
    const filler = await fs.fill(MB);
    t.after(() => rm(filler, { force: true }));
    const env = { ...process.env, DOCKER_BUILDKIT: '0' };
    const build = () =>
      runCommand(docker!, ['-H', daemon!.host, 'build', '-t', 'full:1', context], {
        env,
        timeoutMs: 120_000,
      });
    const failed = await build();
    assert.notEqual(failed.code, 0);
    // The RUN command's own error (overlayfs on a full ext4 says EIO) and the failed step.
    assert.match(
      failed.stderr,
      /The command '\/bin\/sh -c head -c 3000000 \/dev\/zero > \/zeros' returned a non-zero code: 1/,
    );
    await checkStopped();
    await rm(filler);
    const built = await build();
    assert.equal(built.code, 0, built.stderr);
    await checkStopped();
  });

  it('a container printing 2 MB on a full disk keeps running, and its new lines reach docker logs once space is freed', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    await ensureBusybox();
    let filler = await fs.fill(MB);
    t.after(() => rm(filler, { force: true }));
    // Attached: the client gets every byte and returns (and the container is removed),
    // though its log file gets none of the tail.
    const attached = await cli(
      'run',
      '--rm',
      'busybox',
      'sh',
      '-c',
      `yes 0123456789 | head -c ${2 * MB}; echo; echo done`,
    );
    assert.equal(attached.code, 0, `${attached.stderr}\n${daemon!.output().slice(-2000)}`);
    assert.equal(attached.stdout.length, 2 * MB + '\ndone\n'.length);
    // Full again (the removal freed the attached container's log) for a detached one.
    filler = await fs.fill(MB);
    const script = `yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c ${2 * MB}; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done`;
    const name = `full-logs-${process.pid}`;
    const run = await cli('run', '-d', '--name', name, 'busybox', 'sh', '-c', script);
    assert.equal(run.code, 0, run.stderr);
    t.after(() => cli('rm', '-f', name));
    const logs = async () => (await cli('logs', name)).stdout;
    // Wait until the 2 MB are out (the ticks start), while the disk is still full.
    for (let i = 0; i < 100; i++) {
      const top = await cli('top', name);
      if (top.stdout.includes('sleep')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const running = await cli('inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', name);
    assert.equal(running.stdout.trim(), 'true 0', running.stderr);
    assert.doesNotMatch(await logs(), /tick-/, 'the disk was not full: the lines were kept');
    await rm(filler);
    let after = '';
    for (let i = 0; i < 100 && !/tick-\d+\n/.test(after); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await logs();
    }
    assert.match(after, /tick-\d+\n/);
    assert.equal((await cli('inspect', '-f', '{{.State.Running}}', name)).stdout.trim(), 'true');
  });
});

describe('a full disk under berth-registry', () => {
  let fs: SmallFs | string;
  let registry: RegistryProcess | undefined;
  const pusher = ociPusher(() => registry!.address);

  before(async () => {
    fs = await mountSmallFs(32);
    if (typeof fs === 'string') return;
    registry = await startRegistryProcess(bin('berth-registry'), ['--root', join(fs.dir, 'root')]);
  });
  after(async () => {
    await registry?.stop({ kill: true });
    if (typeof fs !== 'string') await fs?.release();
  });

  it('a push that does not fit fails with a clear error, the store checks clean, and the push works once space is freed', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    const filler = await fs.fill(2 * MB);
    const layer = randomBytes(4 * MB);
    const failed = await fetch(
      `http://${registry!.address}/v2/full/x/blobs/uploads/?digest=${digestOf(layer)}`,
      {
        method: 'POST',
        body: layer,
      },
    );
    assert.ok(failed.status >= 500, `status ${failed.status}`);
    const body = (await failed.json()) as { errors: { message: string }[] };
    assert.match(body.errors[0]!.message, /no space left on device/);
    assert.match(body.errors[0]!.message, new RegExp(`${fs.dir}/root/\\S+`));

    await registry!.stop();
    const check = await runRegistryCommand(bin('berth-registry'), ['check', '--root', join(fs.dir, 'root')]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    registry = await startRegistryProcess(bin('berth-registry'), ['--root', join(fs.dir, 'root')]);
    await rm(filler);
    await pusher.image('full/x', '1', layer);
    assert.equal(digestOf(await pusher.pullLayer('full/x', '1')), digestOf(layer));
  });
});
