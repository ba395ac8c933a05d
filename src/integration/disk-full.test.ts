import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
import { diffOwned, execRootLeftovers, rootsOfDaemon, snapshotOwned } from '../testing/leaks.js';
import { digestOf, ociPusher } from '../testing/oci-push.js';
import { bin, busyboxArchive, dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';
import { mountSmallFs, mountSmallTmpfs, type SmallFs } from '../testing/small-fs.js';

// Data roots on a small loop-mounted ext4 that is then filled: load, pull and registry
// pushes fail with "no space left on device" naming the file, leave a store that checks
// clean, and succeed once space is freed.

const docker = dockerCli();
const MB = 1024 * 1024;

describe('a full disk under berthd', { skip: fixturesMissing || (docker ? false : 'no docker CLI') }, () => {
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
    // The failed step with the RUN command's own code, and the full layer's directory (the
    // command itself says only "I/O error": busybox words ENOSPC so).
    assert.match(
      failed.stderr,
      /The command '\/bin\/sh -c head -c 3000000 \/dev\/zero > \/zeros' returned a non-zero code: 1/,
    );
    assert.match(
      failed.stderr,
      new RegExp(
        `returned a non-zero code: 1; ${fs.dir}/data/overlay2/snapshots/\\d+/fs: no space left on device`,
      ),
    );
    await checkStopped();
    await rm(filler);
    const built = await build();
    assert.equal(built.code, 0, built.stderr);
    await checkStopped();
  });

  it('docker push from a full data root fails naming the file or succeeds, leaves a clean store, and pushes once space is freed', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    if (!distribution) return t.skip('no skopeo to seed the local Distribution registry');
    await ensureBusybox();
    const ref = `${distribution.host}/full/pushed:${process.pid}`;
    // A layer of 300 kB of random bytes, which the registry does not have yet.
    const maker = `full-push-${process.pid}`;
    const made = await cli(
      'run',
      '--name',
      maker,
      'busybox',
      'sh',
      '-c',
      'head -c 300000 /dev/urandom > /random',
    );
    assert.equal(made.code, 0, made.stderr);
    assert.equal((await cli('commit', maker, ref)).code, 0);
    assert.equal((await cli('rm', maker)).code, 0);
    t.after(() => cli('rmi', ref));
    // Less free than the new layer, compressed or not, for the temp files a push may write.
    const filler = await fs.fill(64 * 1024);
    t.after(() => rm(filler, { force: true }));
    const pushed = await cli('push', ref);
    const output = pushed.stdout + pushed.stderr;
    if (pushed.code !== 0) assert.match(output, new RegExp(`${fs.dir}/data/\\S+: no space left on device`));
    else {
      // The new layer went up (not "Layer already exists") and the manifest with it.
      assert.match(pushed.stdout, /: Pushed\n/);
      assert.match(pushed.stdout, /: digest: sha256:[0-9a-f]{64} size: \d+/);
    }
    await checkStopped();
    await rm(filler);
    const again = await cli('push', ref);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const pushedDigest = (out: string) => /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
    if (pushed.code === 0) assert.equal(pushedDigest(again.stdout), pushedDigest(pushed.stdout));
    // What the registry holds runs: pulled back under another name.
    assert.equal((await cli('rmi', ref)).code, 0);
    const pulled = await cli('pull', ref);
    assert.equal(pulled.code, 0, pulled.stdout + pulled.stderr);
    const ran = await cli('run', '--rm', ref, 'echo', 'pushed');
    assert.equal(ran.stdout, 'pushed\n', ran.stderr);
    t.diagnostic(`push on the full disk: exit ${pushed.code}: ${output.trim().replace(/\n/g, ' | ')}`);
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
    // Again on the disk the first one left full: its start record cannot be saved, and
    // its removal has to make room (by emptying the doomed log) to write what it must.
    for (let round = 0; round < 2; round++) {
      filler = await fs.fill(MB);
      const again = await cli('run', '--rm', 'busybox', 'sh', '-c', `yes 0123456789 | head -c ${2 * MB}`);
      assert.equal(again.code, 0, `${again.stderr}\n${daemon!.output().slice(-2000)}`);
      assert.equal(again.stdout.length, 2 * MB);
    }
    assert.equal((await cli('ps', '-aq')).stdout.trim(), '', 'every --rm container is gone');
    // A --rm container's record directory (its log with it) goes in the background once it
    // left the API: space it frees after the fill would leave the disk less full than meant.
    const records = () => readdir(join(daemon!.dataRoot, 'containers'));
    for (const end = Date.now() + 30_000; (await records()).length > 0 && Date.now() < end; )
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await records(), [], 'the --rm record directories are removed');
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

  it('with --log-opt max-size and no free inodes, conmon starts the log over and the container keeps running; lines reach docker logs once inodes are freed', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    await ensureBusybox();
    const name = `full-inodes-${process.pid}`;
    // Waits for USR1 (sent once the inodes are gone), prints 200 kB (ten times max-size), then ticks.
    const script = `trap 'go=1' USR1; while [ -z "$go" ]; do sleep 0.1; done; yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 200000; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done`;
    const run = await cli(
      'run',
      '-d',
      '--name',
      name,
      '--log-opt',
      'max-size=20k',
      'busybox',
      'sh',
      '-c',
      script,
    );
    assert.equal(run.code, 0, run.stderr);
    t.after(() => cli('rm', '-f', name));
    const filler = await fs.fillInodes();
    t.after(() => rm(filler, { recursive: true, force: true }));
    assert.equal((await cli('kill', '-s', 'USR1', name)).code, 0);
    const tick = async () => {
      const logs = await cli('logs', '--tail', '1', name);
      return Number(/tick-(\d+)/.exec(logs.stdout)?.[1] ?? -1);
    };
    // Blocks are free, so the lines are kept; without a ready file conmon's reopen at the
    // limit needed a new inode, failed, and conmon exited (the container with 255).
    let before = -1;
    for (let i = 0; i < 150 && before < 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      before = await tick();
    }
    const state = await cli('inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', name);
    assert.equal(state.stdout.trim(), 'true 0', `${state.stderr}\n${daemon!.output().slice(-2000)}`);
    assert.ok(before >= 0, 'no tick reached docker logs');
    await rm(filler, { recursive: true });
    let after = before;
    for (let i = 0; i < 100 && after <= before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await tick();
    }
    assert.ok(after > before, `tick-${after} after tick-${before}`);
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

describe('a full exec root under berthd', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI'),
}, () => {
  let fs: SmallFs | string;
  let daemon: TestDaemon | undefined;
  const cli = (...args: string[]) =>
    runCommand(docker!, ['-H', daemon!.host, ...args], { timeoutMs: 120_000 });

  before(async () => {
    // 4 MiB of tmpfs, as a crowded /run.
    fs = await mountSmallTmpfs(4);
    if (typeof fs === 'string') return;
    daemon = await startDaemon({ execRoot: fs.dir });
    assert.equal((await cli('load', '-i', busyboxArchive)).code, 0);
  });
  after(async () => {
    await daemon?.stop();
    if (typeof fs !== 'string') await fs?.release();
  });

  it('docker run fails with 125 naming the exec root, leaves nothing behind, and runs once space is freed', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    const roots = await rootsOfDaemon(daemon!);
    const ids = new Set<string>();
    const before = await snapshotOwned(roots);
    // Started while there is room, for exec on the full exec root.
    const running = `full-exec-running-${process.pid}`;
    const started = await cli('run', '-d', '--name', running, 'busybox', 'sleep', '600');
    assert.equal(started.code, 0, started.stderr);
    ids.add(started.stdout.trim());
    t.after(() => cli('rm', '-f', running));
    // 64 KiB free was enough for runc to start the container but not for conmon's exit
    // file: the container ran and `docker run` exited 255.
    const filler = await fs.fill(64 * 1024);
    t.after(() => rm(filler, { force: true }));
    const name = `full-exec-${process.pid}`;
    t.after(() => cli('rm', '-f', name));
    const failed = await cli('run', '--name', name, 'busybox', 'echo', 'ran');
    assert.equal(failed.code, 125, failed.stdout + failed.stderr);
    assert.equal(failed.stdout, '');
    assert.match(failed.stderr, new RegExp(`${fs.dir}: no space left on device`));
    ids.add((await cli('inspect', '-f', '{{.Id}}', name)).stdout.trim());
    const autoRemoved = await cli('run', '--rm', 'busybox', 'echo', 'ran');
    assert.equal(autoRemoved.code, 125, autoRemoved.stdout + autoRemoved.stderr);
    assert.match(autoRemoved.stderr, new RegExp(`${fs.dir}: no space left on device`));
    // The --rm container is gone; the named one stays as created, as dockerd leaves it.
    const listed = await cli('ps', '-a', '--format', '{{.Names}} {{.State}}');
    assert.equal(listed.stdout, `${name} created\n${running} running\n`);
    // Quite full (the same filler file, grown): exec fails as dockerd's does (126), naming
    // the file it could not write, and leaves no session directory of its own.
    await fs.fill(0);
    const exec = await cli('exec', running, 'echo', 'ran');
    assert.equal(exec.code, 126, exec.stdout + exec.stderr);
    assert.match(
      exec.stdout + exec.stderr,
      new RegExp(`OCI runtime exec failed: write ${fs.dir}/containers/\\S+: no space left on device`),
    );
    const sessions = await readdir(join(fs.dir, 'containers', started.stdout.trim(), 'exec')).catch(() => []);
    assert.deepEqual(sessions, []);
    await rm(filler);
    assert.equal((await cli('exec', running, 'echo', 'ran')).stdout, 'ran\n');
    assert.equal((await cli('rm', name)).code, 0);
    assert.equal((await cli('rm', '-f', running)).code, 0);
    assert.deepEqual(diffOwned(before, await snapshotOwned(roots, ids)), {});
    assert.deepEqual(await execRootLeftovers(fs.dir, ids), []);

    const ran = await cli('run', '--rm', 'busybox', 'echo', 'ran');
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'ran\n');
  });
});
