import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { iptables } from './iptables.js';
import { NetworkManager } from './manager.js';
import type { NetworkManagerOptions } from './options.js';
import {
  changes,
  freeSubnet,
  type HostSnapshot,
  NetnsPool,
  networkTestsUnavailable,
  settledSnapshot,
  snapshotHost,
  uniqueSuffix,
} from './testing.js';
import type { Endpoint } from './types.js';

const skip = await networkTestsUnavailable();

describe('reconcile after a crash', { skip }, () => {
  const id = uniqueSuffix();
  const pool = new NetnsPool(`br${id}`);
  const chainPrefix = `BR${id.toUpperCase()}`;
  let options: NetworkManagerOptions;
  let dir = '';
  let first: NetworkManager | undefined;
  let second: NetworkManager | undefined;
  let baseline: HostSnapshot;
  let networkId = '';
  const endpoints = new Map<string, Endpoint>();

  const ours = (entry: string) =>
    entry.includes(chainPrefix) ||
    entry.includes(`br${id}`) ||
    /^veth\S*$/.test(entry) ||
    entry.includes(networkId);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-network-reconcile-'));
    const subnet = await freeSubnet();
    options = {
      stateDir: join(dir, 'state'),
      chainPrefix,
      defaultBridge: { bridgeName: `br${id}0`, bip: subnet.replace(/0\/24$/, '1/24') },
    };
    first = await NetworkManager.open(options);
    baseline = await snapshotHost(options.stateDir);
    const network = await first.create({
      name: `br${id}-net`,
      subnet: await freeSubnet([subnet]),
      options: { 'com.docker.network.bridge.name': `br${id}n` },
    });
    networkId = network.id;
    for (const label of ['gone1', 'gone2', 'live']) {
      const endpoint = await first.attach(networkId, {
        containerId: `${id}${label}`.padEnd(64, '0'),
        containerName: label,
        netnsPath: await pool.create(label),
        portMappings: [{ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 0 }],
      });
      endpoints.set(label, endpoint);
    }
    const www = join(dir, 'www');
    await mkdir(www);
    await writeFile(join(www, 'index.html'), `live ${id}\n`);
    pool.start('live', ['busybox', 'httpd', '-f', '-p', '80', '-h', www]);
  });

  after(async () => {
    try {
      await second?.teardown();
      await first?.teardown();
    } finally {
      await pool.removeAll();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes the endpoints of dead containers and re-creates the rules of live ones', async () => {
    // The crash: the daemon stops without detaching anything; two containers die with it.
    await first?.close();
    first = undefined;
    await pool.delete('gone1');
    await pool.delete('gone2');
    // Rules lost as well (an iptables flush): the DNAT chain is emptied.
    await iptables.run('nat', ['-F', `${chainPrefix}-DNAT`]);
    const live = endpoints.get('live');
    const url = `http://127.0.0.1:${live?.ports[0]?.hostPort}/`;
    await assert.rejects(fetch(url, { signal: AbortSignal.timeout(1000) }));

    second = await NetworkManager.open(options);
    assert.deepEqual(await second.reconcile([live?.containerId ?? '']), { removed: 2, restored: 1 });
    assert.match(await (await fetch(url)).text(), new RegExp(`live ${id}`));
    assert.deepEqual(
      second.endpointsOfNetwork(networkId).map((endpoint) => endpoint.containerId),
      [live?.containerId],
    );
  });

  it('undoes an attach that a crash interrupted before its result was cached', async () => {
    const stuck = endpoints.get('live');
    assert.ok(second && stuck);
    // Lose the CNI cache entry: DEL must then run from the rebuilt configuration, without prevResult.
    const cacheDir = join(options.stateDir, 'cni', 'results');
    for (const name of await readdir(cacheDir)) await rm(join(cacheDir, name));
    await second.close();
    second = await NetworkManager.open(options);
    assert.deepEqual(await second.reconcile([]), { removed: 1, restored: 0 });
    const links = await pool.exec('live', ['ip', '-o', 'link', 'show']);
    assert.doesNotMatch(links.stdout, /eth0/, 'the container interface is gone');
  });

  it('leaves the host as before once the network is removed', async () => {
    assert.ok(second);
    await pool.removeAll();
    await second.remove(networkId);
    const after = await settledSnapshot(options.stateDir, baseline, ours);
    for (const key of ['links', 'netns', 'iptables', 'leases'] as const) {
      const diff = changes(baseline[key], after[key]);
      assert.deepEqual([...diff.added, ...diff.removed].filter(ours), [], `${key} changed`);
    }
  });
});
