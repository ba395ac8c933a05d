import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { networkTestsUnavailable } from '../network/testing.js';
import { asBerth, type CliPair, cliPair } from '../testing/cli-pair.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';

const docker = dockerCli();

/** berth and docker give the same output and exit code (docker's name swapped for berth's). */
async function same(pair: CliPair, ...args: string[]): Promise<string> {
  const [b, d] = await pair.both(...args);
  // Objects (inspect) carry Docker's option names, which stay as they are.
  const json = args.includes('inspect');
  assert.equal(b.stdout, json ? d.stdout : asBerth(d.stdout), `stdout of ${args.join(' ')}`);
  assert.equal(b.stderr, asBerth(d.stderr), `stderr of ${args.join(' ')}`);
  assert.equal(b.code, d.code, `exit code of ${args.join(' ')}`);
  return b.stdout;
}

describe('berth network, volume and port against the Docker CLI', {
  skip: fixturesMissing || (docker ? await networkTestsUnavailable() : 'no docker CLI on this machine'),
}, () => {
  let daemon: TestDaemon;
  let pair: CliPair;

  before(async () => {
    daemon = await startDaemon();
    pair = cliPair(daemon.host, docker!);
    const loaded = await pair.docker('load', '-i', join(fixturesDir, 'images', 'busybox.docker-archive.tar'));
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(async () => {
    if (!daemon) return;
    const all = await pair.docker('ps', '-aq');
    for (const id of all.stdout.split('\n').filter(Boolean)) await pair.docker('rm', '-f', '-v', id);
    await daemon.stop();
  });

  it('network create, ls, inspect, rm print what docker prints', async () => {
    const created = await pair.berth('network', 'create', '--label', 'team=a', 'front');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^[0-9a-f]{64}\n$/);
    const ls = await same(pair, 'network', 'ls');
    assert.match(ls, /^NETWORK ID {5}NAME {6}DRIVER {4}SCOPE\n/);
    await same(pair, 'network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}} {{.Driver}}');
    await same(pair, 'network', 'ls', '-q', '--no-trunc');
    await same(pair, 'network', 'inspect', 'front');
    await same(
      pair,
      'network',
      'inspect',
      '--format',
      '{{.Name}} {{(index .IPAM.Config 0).Subnet}}',
      'front',
      'bridge',
    );
    await same(pair, 'network', 'inspect', 'nope');
    assert.equal((await pair.berth('network', 'rm', 'front')).stdout, 'front\n');
    await same(pair, 'network', 'rm', 'front');
  });

  it('volume create, ls, inspect, rm, prune print what docker prints', async () => {
    assert.equal((await pair.berth('volume', 'create', '--label', 'k=v', 'v1')).stdout, 'v1\n');
    await same(pair, 'volume', 'ls');
    await same(pair, 'volume', 'ls', '-q', '--filter', 'label=k=v');
    await same(pair, 'volume', 'inspect', 'v1');
    await same(pair, 'volume', 'inspect', 'missing');
    const holder = (await pair.docker('run', '-d', '-v', 'v1:/data', 'busybox', 'sleep', '60')).stdout.trim();
    await same(pair, 'volume', 'rm', 'v1');
    await pair.docker('rm', '-f', holder);
    assert.equal((await pair.berth('volume', 'rm', 'v1')).stdout, 'v1\n');
    await pair.docker('run', '--name', 'anon', '-v', '/scratch', 'busybox', 'true');
    await pair.docker('rm', 'anon');
    const pruned = await pair.berth('volume', 'prune', '-f');
    assert.match(pruned.stdout, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
  });

  it('port lists mappings as docker does, and run -p/--network/-v work through berth', async () => {
    const run = await pair.berth(
      'run',
      '-d',
      '--name',
      'web',
      '-p',
      '127.0.0.1::80',
      '-p',
      '9090-9091:90-91/udp',
      '-v',
      'data:/data',
      '--network',
      'bridge',
      'busybox',
      'sleep',
      '60',
    );
    assert.equal(run.code, 0, run.stderr);
    await same(pair, 'port', 'web');
    await same(pair, 'port', 'web', '90/udp');
    await same(pair, 'port', 'web', '1234');
    await same(pair, 'inspect', '--format', '{{json .Mounts}}', 'web');
  });
});
