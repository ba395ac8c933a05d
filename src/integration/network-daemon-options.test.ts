import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chainPrefixOf } from '../engine/network-stores.js';
import { networkTestsUnavailable } from '../network/testing.js';
import { startDaemon, type TestDaemon, waitExit } from '../testing/daemon.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { type RunResult, runCommand } from '../testing/run.js';

const docker = dockerCli();
const busybox = join(fixturesDir, 'images', 'busybox.docker-archive.tar');
const HTTPD = 'mkdir -p /www && echo reached > /www/index.html && exec httpd -f -p 80 -h /www';
/** An HTTP GET with busybox nc (this busybox's wget crashes), giving up after 3 s without an answer. */
const get = (host: string, port = 80) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`;

/** A berthd with the given daemon.json and busybox loaded, driven by the real Docker CLI. */
function daemonWith(config: Record<string, unknown>) {
  const state: { daemon?: TestDaemon } = {};
  const run = (...args: string[]) =>
    runCommand(docker!, ['-H', state.daemon!.host, ...args], { timeoutMs: 60_000 });
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** An option of the default bridge, such as `enable_icc`. */
  const bridgeOption = async (name: string) =>
    (
      await ok(
        'network',
        'inspect',
        'bridge',
        '--format',
        `{{index .Options "com.docker.network.bridge.${name}"}}`,
      )
    ).trim();
  /** A field of the default bridge's first IPAM config: `Subnet` or `Gateway`. */
  const bridgeIpam = async (field: 'Subnet' | 'Gateway') =>
    (await ok('network', 'inspect', 'bridge', '--format', `{{(index .IPAM.Config 0).${field}}}`)).trim();
  before(async () => {
    state.daemon = await startDaemon({ config });
    await ok('load', '-i', busybox);
  });
  after(async () => {
    if (!state.daemon) return;
    const all = await run('ps', '-aq');
    for (const id of all.stdout.split('\n').filter(Boolean)) await run('rm', '-f', id);
    await state.daemon.stop();
    // A daemon restarted on its dir leaves the dir to its caller.
    await rm(state.daemon.dir, { recursive: true, force: true });
  });
  return { state, run, ok, bridgeOption, bridgeIpam };
}

/** Whether a container on the default bridge can fetch a page from another one's address. */
async function reachesNeighbour(
  ok: (...args: string[]) => Promise<string>,
  run: (...args: string[]) => Promise<RunResult>,
) {
  const server = (await ok('run', '-d', 'busybox', 'sh', '-c', HTTPD)).trim();
  const ip = (await ok('inspect', server, '--format', '{{.NetworkSettings.IPAddress}}')).trim();
  // The server is up once it answers itself.
  for (let i = 0; i < 50; i++) {
    const self = await run('exec', server, 'sh', '-c', get('127.0.0.1'));
    if (self.stdout.includes('reached')) break;
  }
  const fetched = await run('run', '--rm', 'busybox', 'sh', '-c', get(ip));
  return fetched.stdout.includes('reached');
}

const skip = fixturesMissing || (docker ? await networkTestsUnavailable() : 'no docker CLI on this machine');

async function savedRules(table: string, daemon: TestDaemon): Promise<string[]> {
  const prefix = chainPrefixOf(daemon.dataRoot);
  const saved = (await runCommand('iptables-save', ['-t', table])).stdout;
  return saved.split('\n').filter((line) => line.includes(prefix));
}

describe('daemon.json icc, ip-masq and iptables on the default bridge', { skip }, () => {
  describe('defaults', () => {
    const { state, ok, run } = daemonWith({});

    it('containers on the default bridge reach each other and their traffic is masqueraded', async () => {
      const options = JSON.parse(await ok('network', 'inspect', 'bridge', '--format', '{{json .Options}}'));
      assert.equal(options['com.docker.network.bridge.enable_icc'], 'true');
      assert.equal(options['com.docker.network.bridge.enable_ip_masquerade'], 'true');
      assert.equal(await reachesNeighbour(ok, run), true);
      const nat = await savedRules('nat', state.daemon!);
      assert.ok(
        nat.some((rule) => / ! -o bt\w+ -j MASQUERADE$/.test(rule)),
        nat.join('\n'),
      );
    });
  });

  describe('a restart with "icc": false', () => {
    const { state, ok, run, bridgeOption } = daemonWith({});

    it('the stored default bridge takes the new setting', async () => {
      const first = state.daemon!;
      first.process.kill('SIGTERM');
      await waitExit(first.process);
      // The same bridge name and pool (kept in its daemon.json), now with icc off.
      const config = JSON.parse(await readFile(first.configFile, 'utf8')) as Record<string, unknown>;
      state.daemon = await startDaemon({ dir: first.dir, config: { ...config, icc: false } });
      assert.equal(await bridgeOption('enable_icc'), 'false');
      assert.equal(await reachesNeighbour(ok, run), false);
    });
  });

  describe('"icc": false', () => {
    const { state, ok, run, bridgeIpam, bridgeOption } = daemonWith({ icc: false });

    it('inspect shows enable_icc false and a neighbour on the default bridge is unreachable', async () => {
      assert.equal(await bridgeOption('enable_icc'), 'false');
      assert.equal(await reachesNeighbour(ok, run), false);
      const filter = await savedRules('filter', state.daemon!);
      assert.ok(
        filter.some((rule) => /-i (bt\w+) -o \1 -j DROP$/.test(rule)),
        filter.join('\n'),
      );
    });

    it('a published port of a neighbour is still reachable', async () => {
      const server = (await ok('run', '-d', '-p', '80', 'busybox', 'sh', '-c', HTTPD)).trim();
      const port = (await ok('port', server, '80/tcp')).trim().split('\n')[0]!.split(':').pop()!;
      const gateway = await bridgeIpam('Gateway');
      let page = '';
      for (let i = 0; i < 10 && !page.includes('reached'); i++) {
        page = (await run('run', '--rm', 'busybox', 'sh', '-c', get(gateway, Number(port)))).stdout;
      }
      assert.match(page, /reached/);
    });
  });

  describe('"ip-masq": false', () => {
    const { state, bridgeIpam, bridgeOption } = daemonWith({ 'ip-masq': false });

    it('inspect shows enable_ip_masquerade false and POSTROUTING has no MASQUERADE for the subnet', async () => {
      assert.equal(await bridgeOption('enable_ip_masquerade'), 'false');
      const subnet = await bridgeIpam('Subnet');
      const nat = await savedRules('nat', state.daemon!);
      assert.ok(nat.length > 0, 'the daemon has its nat chains');
      assert.ok(!nat.some((rule) => rule.includes(`-s ${subnet} ! -o`)), nat.join('\n'));
    });
  });

  describe('"iptables": false', () => {
    const { state, ok, bridgeIpam, bridgeOption } = daemonWith({ iptables: false });

    it('no chain of the daemon exists, containers still get an address on the bridge, a warning is logged', async () => {
      const id = (await ok('run', '-d', 'busybox', 'sleep', '60')).trim();
      const ip = (await ok('inspect', id, '--format', '{{.NetworkSettings.IPAddress}}')).trim();
      assert.match(ip, /^10\./);
      const gateway = await bridgeIpam('Gateway');
      await ok('exec', id, 'ping', '-c', '1', '-W', '3', gateway);
      for (const table of ['filter', 'nat']) {
        assert.deepEqual(await savedRules(table, state.daemon!), [], `${table} has the daemon's chains`);
      }
      assert.equal(await bridgeOption('enable_ip_masquerade'), 'false');
      assert.match(state.daemon!.output(), /iptables is false/);
    });

    it('-p is accepted and recorded, and the container runs', async () => {
      const id = (await ok('run', '-d', '-p', '80', 'busybox', 'sleep', '60')).trim();
      assert.equal((await ok('inspect', id, '--format', '{{.State.Running}}')).trim(), 'true');
      assert.match(await ok('port', id), /^80\/tcp -> 0\.0\.0\.0:\d+$/m);
    });
  });
});
