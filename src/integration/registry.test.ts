import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { sha256Of } from '../core/digest.js';
import { type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { bin, dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const images = join(fixturesDir, 'images');
const skopeo = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].find((p) => existsSync(p));
const noSkopeo = fixturesMissing || (skopeo ? false : 'skopeo is not installed');
const LAYERS_OCI_MANIFEST = 'sha256:d28d2d20de0894cfd60857a438cf9b6e8fda962f27a4729e6907ddf759dbcf43';
const MULTIARCH_AMD64 = 'sha256:7fda521071a715a6180073215e29269a208f3b2a6b81d247ab3d4512fef107df';
const BUSYBOX_ID = 'sha256:9d3a1474973369b974e045681e7091df95555424294d1ce86e371fbc42778c2a';

async function sk(args: string[], timeoutMs = 120_000): Promise<string> {
  const result = await runCommand(skopeo!, args, { timeoutMs });
  assert.equal(result.code, 0, `skopeo ${args.join(' ')}\n${result.stderr}`);
  return result.stdout;
}

const fileDigest = async (path: string) =>
  `sha256:${createHash('sha256')
    .update(await readFile(path))
    .digest('hex')}`;

async function tempDir(prefix: string, dirs: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

describe('berth-registry with real clients (auth none)', { skip: noSkopeo }, () => {
  const dirs: string[] = [];
  let registry: RegistryProcess;
  let host: string;
  before(async () => {
    const root = await tempDir('berth-registry-it-', dirs);
    registry = await startRegistryProcess(bin('berth-registry'), ['--root', root, '--auth', 'none']);
    host = registry.address;
  });
  after(async () => {
    await registry?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** Copies into the registry, back out to a dir, and checks the digests agree. */
  async function roundTrip(source: string, repo: string, all = false): Promise<string> {
    const ref = `docker://${host}/${repo}`;
    await sk(['copy', ...(all ? ['--all'] : []), '--dest-tls-verify=false', source, ref]);
    const pushed = JSON.parse(await sk(['inspect', '--tls-verify=false', ref])) as { Digest: string };
    const raw = await sk(['inspect', '--raw', '--tls-verify=false', ref]);
    assert.equal(sha256Of(raw), pushed.Digest);
    const out = join(await tempDir('berth-registry-out-', dirs), 'image');
    await sk(['copy', ...(all ? ['--all'] : []), '--src-tls-verify=false', ref, `dir:${out}`]);
    assert.equal(await fileDigest(join(out, 'manifest.json')), pushed.Digest);
    return pushed.Digest;
  }

  it('skopeo copies the docker-archive fixtures in and out with identical digests', async () => {
    await roundTrip(`docker-archive:${join(images, 'busybox.docker-archive.tar')}`, 'library/busybox:latest');
    await roundTrip(`docker-archive:${join(images, 'layers.docker-archive.tar')}`, 'fixture/layers:docker');
  });

  it('skopeo copies the OCI archive with the manifest digest buildah computed', async () => {
    const digest = await roundTrip(
      `oci-archive:${join(images, 'layers.oci-archive.tar')}`,
      'fixture/layers:oci',
    );
    assert.equal(digest, LAYERS_OCI_MANIFEST);
  });

  it('skopeo copy --all pushes and pulls the multi-arch index', async () => {
    const source = `oci-archive:${join(images, 'multiarch.oci-archive.tar')}`;
    const sourceIndex = sha256Of(await sk(['inspect', '--raw', source]));
    const digest = await roundTrip(source, 'fixture/multiarch:latest', true);
    assert.equal(digest, sourceIndex);
    const amd64 = await sk([
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${host}/fixture/multiarch@${MULTIARCH_AMD64}`,
    ]);
    assert.equal(sha256Of(amd64), MULTIARCH_AMD64);
  });

  it('skopeo list-tags and delete', async () => {
    const tags = JSON.parse(await sk(['list-tags', '--tls-verify=false', `docker://${host}/fixture/layers`]));
    assert.deepEqual(tags.Tags, ['docker', 'oci']);
    await sk(['delete', '--tls-verify=false', `docker://${host}/fixture/layers:docker`]);
    const after = JSON.parse(
      await sk(['list-tags', '--tls-verify=false', `docker://${host}/fixture/layers`]),
    );
    assert.deepEqual(after.Tags, ['oci']);
  });

  it('takes a chunked upload and a cross-repository mount over real HTTP', async () => {
    const base = `http://${host}`;
    const content = Buffer.alloc(3 * 1024 * 1024, 7);
    const digest = sha256Of(content);
    const open = await fetch(`${base}/v2/chunks/blobs/uploads/`, { method: 'POST' });
    assert.equal(open.status, 202);
    let location = new URL(open.headers.get('location')!, base).href;
    const step = 1024 * 1024;
    for (let offset = 0; offset < content.length; offset += step) {
      const chunk = content.subarray(offset, offset + step);
      const patch = await fetch(location, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
      });
      assert.equal(patch.status, 202);
      assert.equal(patch.headers.get('range'), `0-${offset + chunk.length - 1}`);
      location = new URL(patch.headers.get('location')!, base).href;
    }
    const put = await fetch(`${location}?digest=${digest}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    const mount = await fetch(`${base}/v2/mounted/blobs/uploads/?mount=${digest}&from=chunks`, {
      method: 'POST',
    });
    assert.equal(mount.status, 201);
    const pulled = Buffer.from(await (await fetch(`${base}/v2/mounted/blobs/${digest}`)).arrayBuffer());
    assert.equal(sha256Of(pulled), digest);
  });
});

describe('berth-registry auth with real clients', { skip: noSkopeo }, () => {
  const dirs: string[] = [];
  const servers: RegistryProcess[] = [];
  let htpasswd: string;
  before(async () => {
    const dir = await tempDir('berth-registry-auth-', dirs);
    htpasswd = join(dir, 'htpasswd');
    const tool = await runCommand('htpasswd', ['-Bbn', 'alice', 's3cret']).catch(() => undefined);
    const line = tool?.code === 0 ? tool.stdout.trim() : `alice:${bcrypt.hashSync('s3cret', 5)}`;
    await writeFile(htpasswd, `${line}\n`);
  });
  after(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const start = async (mode: string, extraConfig = '') => {
    const dir = await tempDir('berth-registry-auth-root-', dirs);
    const config = join(dir, 'config.yml');
    await writeFile(config, `auth:\n  mode: ${mode}\n  htpasswd: ${htpasswd}\n${extraConfig}`);
    const server = await startRegistryProcess(bin('berth-registry'), [
      '--config',
      config,
      '--root',
      join(dir, 'root'),
    ]);
    servers.push(server);
    return server.address;
  };
  const busybox = `docker-archive:${join(images, 'busybox.docker-archive.tar')}`;

  for (const mode of ['htpasswd', 'token']) {
    it(`${mode}: skopeo pushes and pulls with --creds; no or wrong credentials are refused`, async () => {
      const host = await start(mode);
      const ref = `docker://${host}/team/busybox:1`;
      const denied = await runCommand(skopeo!, ['copy', '--dest-tls-verify=false', busybox, ref]);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /unauthorized|authentication required/i);
      const wrong = await runCommand(skopeo!, [
        'copy',
        '--dest-tls-verify=false',
        '--dest-creds',
        'alice:wrong',
        busybox,
        ref,
      ]);
      assert.notEqual(wrong.code, 0);
      await sk(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', busybox, ref]);
      const inspected = JSON.parse(
        await sk(['inspect', '--tls-verify=false', '--creds', 'alice:s3cret', ref]),
      );
      assert.match(inspected.Digest, /^sha256:/);
      const anonymous = await runCommand(skopeo!, ['inspect', '--tls-verify=false', ref]);
      assert.notEqual(anonymous.code, 0);
    });
  }

  it('serves HTTPS with the configured certificate and key', async () => {
    const dir = await tempDir('berth-registry-tls-', dirs);
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    const openssl = await runCommand('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...[
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
    ]);
    assert.equal(openssl.code, 0, openssl.stderr);
    const config = join(dir, 'tls.yml');
    await writeFile(config, `tls:\n  cert: ${cert}\n  key: ${key}\n`);
    const server = await startRegistryProcess(bin('berth-registry'), [
      '--config',
      config,
      '--root',
      join(dir, 'root'),
    ]);
    servers.push(server);
    const ref = `docker://${server.address}/secure/busybox:1`;
    await sk(['copy', '--dest-tls-verify=false', busybox, ref]);
    const inspected = await runCommand(skopeo!, ['inspect', '--tls-verify=false', ref]);
    assert.equal(inspected.code, 0, inspected.stderr);
    const plain = await fetch(`http://${server.address}/v2/`).catch(() => undefined);
    assert.ok(!plain || plain.status >= 400, 'plain HTTP is not served on the TLS port');
  });

  it('token: the challenge names realm, service and scope; anonymous pull can be allowed', async () => {
    const host = await start('token', '  anonymousPull: true\n');
    const challenge = await fetch(`http://${host}/v2/team/app/tags/list`);
    assert.equal(challenge.status, 401);
    assert.equal(
      challenge.headers.get('www-authenticate'),
      `Bearer realm="http://${host}/token",service="berth-registry",scope="repository:team/app:pull"`,
    );
    const ref = `docker://${host}/public/busybox:1`;
    await sk(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', busybox, ref]);
    await sk(['inspect', '--tls-verify=false', ref]);
  });
});

const noDocker = !dockerdBinary() ? 'dockerd is not installed' : !dockerCli() ? 'no docker CLI' : noSkopeo;

describe('berth-registry with a real dockerd', { skip: noDocker }, () => {
  const dirs: string[] = [];
  let peer: PeerDockerd | undefined;
  const servers: RegistryProcess[] = [];
  // Started by the first test that runs, so a filtered run starts no dockerd.
  const dockerHost = async () => {
    if (!peer) {
      peer = await startPeerDockerd();
      const load = await runCommand(dockerCli()!, [
        '-H',
        peer.host,
        'load',
        '-i',
        join(images, 'busybox.docker-archive.tar'),
      ]);
      assert.equal(load.code, 0, load.stderr);
    }
    return peer.host;
  };
  // dockerd sometimes leaves its data root mounted for a moment after exiting.
  const stopPeer = async (running: PeerDockerd) => {
    const dir = running.host.replace(/^unix:\/\//, '').replace(/\/docker\.sock$/, '');
    await running.stop().catch(async () => {
      await runCommand('umount', ['-l', join(dir, 'data')]);
      await rm(dir, { recursive: true, force: true });
    });
  };
  after(async () => {
    for (const server of servers) await server.stop();
    if (peer) await stopPeer(peer);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const docker = async (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const result = await runCommand(dockerCli()!, ['-H', await dockerHost(), ...args], {
      env,
      timeoutMs: 180_000,
    });
    assert.equal(result.code, 0, `docker ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };

  const pushRmiPull = async (host: string, env?: NodeJS.ProcessEnv) => {
    const ref = `${host}/library/busybox:v1`;
    await docker(['tag', 'busybox:latest', ref], env);
    await docker(['push', ref], env);
    await docker(['rmi', ref, 'busybox:latest'], env);
    await docker(['pull', ref], env);
    assert.equal((await docker(['image', 'inspect', '--format', '{{.Id}}', ref], env)).trim(), BUSYBOX_ID);
    await docker(['tag', ref, 'busybox:latest'], env);
    await docker(['rmi', ref], env);
  };

  it('docker load, tag, push, rmi and pull give back the same image ID', async () => {
    const root = await tempDir('berth-registry-docker-', dirs);
    const server = await startRegistryProcess(bin('berth-registry'), ['--root', root, '--auth', 'none']);
    servers.push(server);
    await pushRmiPull(server.address);
  });

  it('docker login in token mode, then push and pull', async () => {
    const dir = await tempDir('berth-registry-docker-token-', dirs);
    const hash = bcrypt.hashSync('s3cret', 5);
    await writeFile(join(dir, 'htpasswd'), `bob:${hash}\n`);
    await writeFile(join(dir, 'config.yml'), `auth:\n  mode: token\n  htpasswd: ${join(dir, 'htpasswd')}\n`);
    const server = await startRegistryProcess(bin('berth-registry'), [
      '--config',
      join(dir, 'config.yml'),
      '--root',
      join(dir, 'root'),
    ]);
    servers.push(server);
    const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
    const denied = await runCommand(
      dockerCli()!,
      ['-H', await dockerHost(), 'push', `${server.address}/library/busybox:v1`],
      { env },
    );
    assert.notEqual(denied.code, 0);
    const login = await runCommand(
      dockerCli()!,
      ['-H', await dockerHost(), 'login', '-u', 'bob', '--password-stdin', server.address],
      { env, input: 's3cret' },
    );
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    await pushRmiPull(server.address, env);
    // A push to a second repository mounts the layers from the first instead of uploading them.
    const second = `${server.address}/other/busybox:v1`;
    await docker(['tag', 'busybox:latest', second], env);
    await docker(['push', second], env);
    assert.match(
      server.log(),
      /method=POST route=\/v2\/:name\/blobs\/uploads\/ repository=other\/busybox status=201/,
    );
  });
});

const podmanBinary = ['/usr/bin/podman', '/usr/local/bin/podman'].find((p) => existsSync(p));

describe('berth-registry with podman', {
  skip: fixturesMissing || (podmanBinary ? false : 'podman is not installed'),
}, () => {
  const dirs: string[] = [];
  let registry: RegistryProcess;
  let storage: string;
  before(async () => {
    const dir = await tempDir('berth-registry-podman-', dirs);
    storage = dir;
    await writeFile(join(dir, 'htpasswd'), `carol:${bcrypt.hashSync('s3cret', 5)}\n`);
    await writeFile(join(dir, 'config.yml'), `auth:\n  mode: token\n  htpasswd: ${join(dir, 'htpasswd')}\n`);
    registry = await startRegistryProcess(bin('berth-registry'), [
      '--config',
      join(dir, 'config.yml'),
      '--root',
      join(dir, 'registry'),
    ]);
  });
  after(async () => {
    await registry?.stop();
    await runCommand(podmanBinary!, [...podmanStorage(), 'rmi', '--all', '--force']);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  // Podman's own storage, away from the machine's.
  const podmanStorage = () => [
    ...['--root', join(storage, 'root'), '--runroot', join(storage, 'run'), '--storage-driver', 'vfs'],
    ...['--events-backend', 'file', '--cgroup-manager', 'cgroupfs'],
  ];
  const podman = async (args: string[]) => {
    const result = await runCommand(podmanBinary!, [...podmanStorage(), ...args], { timeoutMs: 180_000 });
    assert.equal(result.code, 0, `podman ${args.join(' ')}\n${result.stderr}`);
    return result.stdout;
  };

  it('podman login, push, rmi and pull keep the image ID', async () => {
    const ref = `${registry.address}/podman/busybox:1`;
    const authfile = ['--authfile', join(storage, 'auth.json')];
    await podman(['load', '-i', join(images, 'busybox.docker-archive.tar')]);
    await podman(['tag', 'busybox:latest', ref]);
    await podman([
      'login',
      ...authfile,
      '--tls-verify=false',
      '-u',
      'carol',
      '-p',
      's3cret',
      registry.address,
    ]);
    await podman(['push', ...authfile, '--tls-verify=false', ref]);
    await podman(['rmi', ref, 'busybox:latest']);
    await podman(['pull', ...authfile, '--tls-verify=false', ref]);
    const id = (await podman(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
    assert.equal(`sha256:${id}`, BUSYBOX_ID);
  });
});

describe('online GC and crash safety with real clients', { skip: noSkopeo }, () => {
  const dirs: string[] = [];
  let registry: RegistryProcess;
  let root: string;
  let config: string;
  before(async () => {
    const dir = await tempDir('berth-registry-gc-', dirs);
    root = join(dir, 'root');
    config = join(dir, 'config.yml');
    await writeFile(config, 'gc:\n  interval: 0s\n  gracePeriod: 2s\n');
    registry = await startRegistryProcess(bin('berth-registry'), ['--config', config, '--root', root]);
  });
  after(async () => {
    await registry?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const blobFile = (digest: string) => join(root, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));

  it('GC frees a deleted image’s blobs while pushes run, and every push still succeeds', async () => {
    const host = registry.address;
    const busybox = `docker-archive:${join(images, 'busybox.docker-archive.tar')}`;
    await sk(['copy', '--dest-tls-verify=false', busybox, `docker://${host}/gc/doomed:1`]);
    const raw = JSON.parse(
      await sk(['inspect', '--raw', '--tls-verify=false', `docker://${host}/gc/doomed:1`]),
    );
    const configDigest = raw.config.digest as string;
    assert.ok(existsSync(blobFile(configDigest)));
    await sk(['delete', '--tls-verify=false', `docker://${host}/gc/doomed:1`]);
    await new Promise((resolve) => setTimeout(resolve, 2500));

    let pushing = true;
    const runs: { blobsDeleted: number }[] = [];
    const gcLoop = (async () => {
      while (pushing) {
        const response = await fetch(`http://${host}/admin/gc`, { method: 'POST' });
        assert.equal(response.status, 200);
        runs.push((await response.json()) as { blobsDeleted: number });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    // Both images are built on busybox: its base layer is collected and pushed again under GC.
    const sources = ['layers.docker-archive.tar', 'layers.dockerd-save.tar', 'layers.docker-archive.tar'];
    try {
      for (const [index, file] of sources.entries()) {
        await sk([
          'copy',
          '--dest-tls-verify=false',
          `docker-archive:${join(images, file)}`,
          `docker://${host}/gc/live:${index}`,
        ]);
      }
    } finally {
      pushing = false;
      await gcLoop;
    }
    assert.ok(runs.length > 1, 'GC ran during the pushes');
    assert.ok(runs.reduce((sum, run) => sum + run.blobsDeleted, 0) >= 1);
    assert.equal(existsSync(blobFile(configDigest)), false, 'the deleted image’s config is gone');
    const head = await fetch(`http://${host}/v2/gc/doomed/blobs/${configDigest}`, { method: 'HEAD' });
    assert.equal(head.status, 404);
    for (const index of sources.keys()) {
      const out = join(await tempDir('berth-registry-gc-out-', dirs), 'image');
      await sk(['copy', '--src-tls-verify=false', `docker://${host}/gc/live:${index}`, `dir:${out}`]);
    }
  });

  it('berth-registry gc runs beside the server on the same root and reports in JSON', async () => {
    const result = await runCommand(process.execPath, [
      bin('berth-registry'),
      'gc',
      '--config',
      config,
      '--root',
      root,
      '--dry-run',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { dryRun: boolean; blobsDeleted: number };
    assert.equal(report.dryRun, true);
    assert.equal(typeof report.blobsDeleted, 'number');
  });

  it('after kill -9 in the middle of an upload, a restart serves no torn blob and the push succeeds', async () => {
    const host = registry.address;
    const content = Buffer.alloc(8 * 1024 * 1024, 42);
    const digest = sha256Of(content);
    const open = await fetch(`http://${host}/v2/crash/blobs/uploads/`, { method: 'POST' });
    const location = new URL(open.headers.get('location')!, `http://${host}`).href;
    const first = await fetch(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${1024 * 1024 - 1}` },
      body: content.subarray(0, 1024 * 1024),
    });
    assert.equal(first.status, 202);
    // The second chunk never finishes: the server dies under it.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(content.subarray(1024 * 1024, 3 * 1024 * 1024));
      },
    });
    const hanging = fetch(location, { method: 'PATCH', body: stream, duplex: 'half' } as RequestInit).catch(
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await registry.stop({ kill: true });
    await hanging;
    registry = await startRegistryProcess(bin('berth-registry'), ['--config', config, '--root', root]);
    const base = `http://${registry.address}`;
    assert.equal((await fetch(`${base}/v2/crash/blobs/${digest}`, { method: 'HEAD' })).status, 404);
    const resumedLocation = `${base}${new URL(location).pathname}`;
    const status = await fetch(resumedLocation);
    assert.equal(status.status, 204);
    const range = status.headers.get('range')!;
    const offset = Number(range.split('-')[1]) + 1;
    assert.ok(offset >= 1024 * 1024, `resumes after the acknowledged chunk (${range})`);
    const finish = await fetch(`${resumedLocation}?digest=${digest}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${offset}-${content.length - 1}`,
      },
      body: content.subarray(offset),
    });
    assert.equal(finish.status, 201, await finish.text());
    const pulled = Buffer.from(await (await fetch(`${base}/v2/crash/blobs/${digest}`)).arrayBuffer());
    assert.equal(sha256Of(pulled), digest);
  });
});
