import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCorruptingProxy } from '../testing/corrupting-proxy.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import {
  type DistributionRegistry,
  distributionBinary,
  startDistributionRegistry,
} from '../testing/distribution-registry.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { bin, dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const skopeo = ['/usr/bin/skopeo'].find((p) => existsSync(p));
const docker = dockerCli();
const skip =
  !skopeo || !distributionBinary() || !docker ? 'needs skopeo, docker-registry and the docker CLI' : false;
const BUSYBOX = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

/** Copies the busybox fixture into a registry; returns the manifest digest it got there. */
async function seedBusybox(host: string, repo: string, creds?: string): Promise<string> {
  const dest = `docker://${host}/${repo}`;
  const auth = creds ? ['--dest-creds', creds] : [];
  const copy = await runCommand(
    skopeo!,
    ['copy', '--dest-tls-verify=false', ...auth, `docker-archive:${BUSYBOX}`, dest],
    { timeoutMs: 60_000 },
  );
  assert.equal(copy.code, 0, copy.stderr);
  return skopeoDigest(host, repo, creds);
}

async function skopeoDigest(host: string, repo: string, creds?: string): Promise<string> {
  const auth = creds ? ['--creds', creds] : [];
  const inspect = await runCommand(skopeo!, [
    'inspect',
    '--tls-verify=false',
    ...auth,
    `docker://${host}/${repo}`,
  ]);
  assert.equal(inspect.code, 0, inspect.stderr);
  return (JSON.parse(inspect.stdout) as { Digest: string }).Digest;
}

describe('pull, push and login against CNCF Distribution', { skip: fixturesMissing || skip }, () => {
  let open: DistributionRegistry;
  let locked: DistributionRegistry;
  let daemon: TestDaemon;
  let config: string;
  let busyboxDigest: string;
  const env = () => ({
    ...process.env,
    DOCKER_HOST: daemon.host,
    BERTH_CONFIG: config,
    DOCKER_CONFIG: config,
  });
  const berth = (args: string[], input?: string) =>
    runCommand(process.execPath, [bin('berth'), ...args], {
      env: env(),
      timeoutMs: 120_000,
      ...(input ? { input } : {}),
    });
  const dockerRun = (args: string[], input?: string) =>
    runCommand(docker!, args, { env: env(), timeoutMs: 120_000, ...(input ? { input } : {}) });

  before(async () => {
    open = await startDistributionRegistry();
    locked = await startDistributionRegistry({ users: { alice: 's3cret' } });
    busyboxDigest = await seedBusybox(open.host, 'library/busybox:latest');
    config = await mkdtemp(join(tmpdir(), 'berth-client-config-'));
    daemon = await startDaemon({ config: { 'registry-mirrors': [open.url] } });
  });
  after(async () => {
    await daemon?.stop();
    await open?.stop();
    await locked?.stop();
    if (config) await rm(config, { recursive: true, force: true });
  });

  it("pulls busybox through the mirror with berth and with the docker CLI, showing docker's progress", async () => {
    const pulled = await berth(['pull', 'busybox']);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /latest: Pulling from library\/busybox/);
    assert.match(pulled.stdout, /: Pull complete/);
    assert.match(pulled.stdout, new RegExp(`Digest: ${busyboxDigest}`));
    assert.match(pulled.stdout, /Status: Downloaded newer image for busybox:latest/);
    const again = await dockerRun(['pull', 'busybox']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Status: Image is up to date for busybox:latest/);
    const digests = await dockerRun(['image', 'inspect', 'busybox', '--format', '{{json .RepoDigests}}']);
    assert.deepEqual(JSON.parse(digests.stdout), [`busybox@${busyboxDigest}`]);
    await dockerRun(['rmi', 'busybox']);
    const fresh = await dockerRun(['pull', 'busybox']);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /Pull complete/);
    const ran = await berth(['run', '--rm', 'busybox', 'echo', 'pulled-and-ran']);
    assert.equal(ran.stdout, 'pulled-and-ran\n', ran.stderr);
  });

  it('chooses the platform of a multi-arch image, and lists the platforms there are when none fits', async () => {
    const archive = join(fixturesDir, 'images', 'multiarch.oci-archive.tar');
    const copy = await runCommand(skopeo!, [
      ...['copy', '--all', '--dest-tls-verify=false', `oci-archive:${archive}`],
      `docker://${open.host}/multi/app:1`,
    ]);
    assert.equal(copy.code, 0, copy.stderr);
    const name = `${open.host}/multi/app:1`;
    const arm = await berth(['pull', '--platform', 'linux/arm64', name]);
    assert.equal(arm.code, 0, arm.stderr);
    const arch = await berth(['image', 'inspect', name, '--format', '{{.Architecture}}']);
    assert.equal(arch.stdout.trim(), 'arm64');
    const none = await berth(['pull', '--platform', 'linux/s390x', name]);
    assert.notEqual(none.code, 0);
    assert.match(
      none.stderr,
      /no matching manifest for linux\/s390x in the manifest list entries.*linux\/amd64, linux\/arm64/,
    );
  });

  it('names a missing tag as docker does', async () => {
    const res = await dockerRun(['pull', `${open.host}/library/busybox:nope`]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /manifest for .*busybox:nope not found: manifest unknown/);
  });

  it("pushes to an htpasswd registry after berth login and after docker login; a wrong password gets docker's message", async () => {
    const target = `${locked.host}/team/busybox:v1`;
    assert.equal((await berth(['tag', 'busybox', target])).code, 0);
    const anonymous = await berth(['push', target]);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /no basic auth credentials/);
    const wrong = await berth(['login', '-u', 'alice', '--password-stdin', locked.host], 'wrong\n');
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr.trim(),
      `Error response from daemon: login attempt to http://${locked.host}/v2/ failed with status: 401 Unauthorized`,
    );
    const login = await berth(['login', '-u', 'alice', '--password-stdin', locked.host], 's3cret\n');
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    const saved = JSON.parse(await readFile(join(config, 'config.json'), 'utf8'));
    assert.equal(saved.auths[locked.host].auth, Buffer.from('alice:s3cret').toString('base64'));
    const pushed = await berth(['push', target]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /: Pushed/);
    const digest = /v1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(pushed.stdout)?.[1];
    assert.equal(digest, await skopeoDigest(locked.host, 'team/busybox:v1', 'alice:s3cret'));
    const repoDigests = await berth(['image', 'inspect', target, '--format', '{{json .RepoDigests}}']);
    assert.ok(
      JSON.parse(repoDigests.stdout).includes(`${locked.host}/team/busybox@${digest}`),
      repoDigests.stdout,
    );

    assert.equal((await berth(['logout', locked.host])).code, 0);
    const dockerLogin = await dockerRun(
      ['login', '-u', 'alice', '--password-stdin', locked.host],
      's3cret\n',
    );
    assert.equal(dockerLogin.code, 0, dockerLogin.stderr);
    await dockerRun(['tag', 'busybox', `${locked.host}/team/busybox:v2`]);
    const dockerPush = await dockerRun(['push', `${locked.host}/team/busybox:v2`]);
    assert.equal(dockerPush.code, 0, dockerPush.stderr);
    assert.match(dockerPush.stdout, /Layer already exists/);
  });

  it('survives a kill -9 in the middle of a pull: the store is consistent and the same pull then completes', async () => {
    const manifest = (await (
      await fetch(`${open.url}/v2/library/busybox/manifests/latest`, {
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).json()) as { layers: { digest: string }[] };
    const proxy = await startCorruptingProxy(open.url, manifest.layers[0]!.digest, { mode: 'stall' });
    const dir = await mkdtemp(join(tmpdir(), 'berth-pull-crash-'));
    let crashing: TestDaemon | undefined;
    let restarted: TestDaemon | undefined;
    try {
      crashing = await startDaemon({ dir, config: { 'registry-mirrors': [proxy.url] } });
      const env = { ...process.env, DOCKER_HOST: crashing.host, BERTH_CONFIG: config };
      const pulling = runCommand(process.execPath, [bin('berth'), 'pull', 'busybox'], {
        env,
        timeoutMs: 60_000,
      });
      const reached = Date.now() + 30_000;
      while (proxy.corrupted() === 0 && Date.now() < reached) await new Promise((r) => setTimeout(r, 50));
      assert.ok(proxy.corrupted() > 0, 'the pull reached the layer');
      await new Promise((r) => setTimeout(r, 300));
      crashing.process.kill('SIGKILL');
      assert.notEqual((await pulling).code, 0);
      restarted = await startDaemon({ dir, config: { 'registry-mirrors': [open.url] } });
      const renv = { ...process.env, DOCKER_HOST: restarted.host, BERTH_CONFIG: config };
      const empty = await runCommand(process.execPath, [bin('berth'), 'images', '-aq'], { env: renv });
      assert.equal(empty.stdout, '');
      assert.deepEqual(await readdir(join(restarted.dataRoot, 'content', 'ingest')), []);
      const again = await runCommand(process.execPath, [bin('berth'), 'pull', 'busybox'], {
        env: renv,
        timeoutMs: 60_000,
      });
      assert.equal(again.code, 0, again.stderr);
      const ran = await runCommand(process.execPath, [bin('berth'), 'run', '--rm', 'busybox', 'echo', 'ok'], {
        env: renv,
      });
      assert.equal(ran.stdout, 'ok\n', ran.stderr);
    } finally {
      await restarted?.stop();
      if (crashing && crashing.process.exitCode === null && crashing.process.signalCode === null)
        await crashing.stop();
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails a pull whose layer bytes are corrupted, leaving no image, layer or blob', async () => {
    const manifest = (await (
      await fetch(`${open.url}/v2/library/busybox/manifests/latest`, {
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).json()) as { layers: { digest: string }[] };
    const proxy = await startCorruptingProxy(open.url, manifest.layers[0]!.digest);
    const clean = await startDaemon({ config: { 'registry-mirrors': [proxy.url] } });
    try {
      const res = await runCommand(process.execPath, [bin('berth'), 'pull', 'busybox'], {
        env: { ...process.env, DOCKER_HOST: clean.host, BERTH_CONFIG: config },
        timeoutMs: 60_000,
      });
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /filesystem layer verification failed for digest/);
      assert.ok(proxy.corrupted() > 0);
      const images = await runCommand(process.execPath, [bin('berth'), 'images', '-aq'], {
        env: { ...process.env, DOCKER_HOST: clean.host },
      });
      assert.equal(images.stdout, '');
      // The failed pull's garbage is collected in the background.
      for (const end = Date.now() + 30_000; Date.now() < end; ) {
        const blobs = await readdir(join(clean.dataRoot, 'content', 'blobs', 'sha256'));
        const ingest = await readdir(join(clean.dataRoot, 'content', 'ingest'));
        const snapshots = await readdir(join(clean.dataRoot, 'overlay2', 'snapshots'));
        if (blobs.length + ingest.length + snapshots.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.fail('the failed pull left blobs, ingests or snapshots behind');
    } finally {
      await clean.stop();
      await proxy.close();
    }
  });
});

describe('images travel between berthd and a real dockerd with the same digest', {
  skip:
    fixturesMissing ||
    (skip || !dockerdBinary() ? 'needs skopeo, docker-registry, the docker CLI and dockerd' : false),
}, () => {
  let registry: DistributionRegistry;
  let daemon: TestDaemon;
  let peer: PeerDockerd;
  before(async () => {
    registry = await startDistributionRegistry();
    await seedBusybox(registry.host, 'seed/busybox:latest');
    daemon = await startDaemon();
    peer = await startPeerDockerd();
  });
  after(async () => {
    await daemon?.stop();
    await peer?.stop();
    await registry?.stop();
  });
  const on = (host: string, args: string[]) =>
    runCommand(docker!, args, { env: { ...process.env, DOCKER_HOST: host }, timeoutMs: 120_000 });

  it('dockerd pulls and runs what berthd pushed, and berthd what dockerd pushed', async () => {
    const seed = `${registry.host}/seed/busybox:latest`;
    assert.equal((await on(daemon.host, ['pull', seed])).code, 0);
    await on(daemon.host, ['tag', seed, `${registry.host}/from/berth:1`]);
    const pushed = await on(daemon.host, ['push', `${registry.host}/from/berth:1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const berthDigest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout)?.[1];
    const pulled = await on(peer.host, ['pull', `${registry.host}/from/berth:1`]);
    assert.match(pulled.stdout, new RegExp(`Digest: ${berthDigest}`));
    const ran = await on(peer.host, [
      'run',
      '--rm',
      '--network',
      'none',
      `${registry.host}/from/berth:1`,
      'echo',
      'ok',
    ]);
    assert.equal(ran.stdout, 'ok\n', ran.stderr);

    await on(peer.host, ['tag', `${registry.host}/from/berth:1`, `${registry.host}/from/dockerd:1`]);
    const dockerdPush = await on(peer.host, ['push', `${registry.host}/from/dockerd:1`]);
    const dockerdDigest = /digest: (sha256:[a-f0-9]{64})/.exec(dockerdPush.stdout)?.[1];
    const back = await on(daemon.host, ['pull', `${registry.host}/from/dockerd:1`]);
    assert.match(back.stdout, new RegExp(`Digest: ${dockerdDigest}`));
    const inspect = await on(daemon.host, [
      'image',
      'inspect',
      `${registry.host}/from/dockerd:1`,
      '--format',
      '{{json .RepoDigests}}',
    ]);
    assert.ok(inspect.stdout.includes(`${registry.host}/from/dockerd@${dockerdDigest}`));
    const berthRan = await on(daemon.host, ['run', '--rm', `${registry.host}/from/dockerd:1`, 'echo', 'ok']);
    assert.equal(berthRan.stdout, 'ok\n', berthRan.stderr);
  });
});
