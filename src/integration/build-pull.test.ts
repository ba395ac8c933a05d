import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import {
  type DistributionRegistry,
  distributionBinary,
  startDistributionRegistry,
} from '../testing/distribution-registry.js';
import { bin, dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const skopeo = ['/usr/bin/skopeo'].find((p) => existsSync(p));
const docker = dockerCli();
const skip =
  fixturesMissing ||
  (!skopeo || !distributionBinary() || !docker ? 'needs skopeo, docker-registry and the docker CLI' : false);
const BUSYBOX = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

describe('FROM pulls a missing base image from a registry that wants a login', { skip }, () => {
  let registry: DistributionRegistry;
  let daemon: TestDaemon;
  let dir: string;
  const env = () => ({
    ...process.env,
    DOCKER_HOST: daemon.host,
    BERTH_CONFIG: join(dir, 'config'),
    DOCKER_CONFIG: join(dir, 'config'),
    DOCKER_BUILDKIT: '0',
  });
  const berth = (args: string[], input?: string) =>
    runCommand(process.execPath, [bin('berth'), ...args], {
      env: env(),
      timeoutMs: 180_000,
      ...(input ? { input } : {}),
    });

  before(async () => {
    registry = await startDistributionRegistry({ users: { builder: 'b1ld-pass' } });
    const copy = await runCommand(
      skopeo!,
      [
        'copy',
        '--dest-tls-verify=false',
        '--dest-creds',
        'builder:b1ld-pass',
        `docker-archive:${BUSYBOX}`,
        `docker://${registry.host}/base/busybox:1`,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(copy.code, 0, copy.stderr);
    dir = await mkdtemp(join(tmpdir(), 'berth-build-pull-'));
    await writeFile(
      join(dir, 'Dockerfile'),
      `FROM ${registry.host}/base/busybox:1\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n`,
    );
    daemon = await startDaemon({ config: { 'insecure-registries': [registry.host] } });
  });
  after(async () => {
    await daemon?.stop();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fails naming the registry without credentials, then pulls with berth login and builds', async () => {
    const denied = await berth(['build', '-t', 'pulled:1', dir]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr + denied.stdout, /Dockerfile line 1|FROM/);
    assert.match(
      denied.stderr + denied.stdout,
      /no basic auth credentials|unauthorized|authentication required/,
    );

    const login = await berth(['login', '-u', 'builder', '--password-stdin', registry.host], 'b1ld-pass\n');
    assert.equal(login.code, 0, login.stderr);
    const built = await berth(['build', '-t', 'pulled:1', dir]);
    assert.equal(built.code, 0, built.stderr + built.stdout);
    assert.match(built.stdout, /Pulling from base\/busybox/);
    assert.match(built.stdout, /Successfully tagged pulled:1/);
    const run = await berth(['run', '--rm', '--network', 'none', 'pulled:1']);
    assert.equal(run.stdout, 'built\n');
  });

  it('the docker CLI sends its logins in X-Registry-Config and --pull fetches a present base again', async () => {
    const built = await runCommand(docker!, ['build', '--pull', '-t', 'pulled:2', dir], {
      env: env(),
      timeoutMs: 180_000,
    });
    assert.equal(built.code, 0, built.stderr + built.stdout);
    assert.match(built.stdout, /Image is up to date for|Pulling from base\/busybox/);
    assert.match(built.stdout, /Successfully tagged pulled:2/);
  });
});
