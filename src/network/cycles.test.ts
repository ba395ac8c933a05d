import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetworkManager } from './manager.js';
import {
  changes,
  freeSubnet,
  NetnsPool,
  networkTestsUnavailable,
  settledSnapshot,
  snapshotHost,
  uniqueSuffix,
} from './testing.js';

const skip = await networkTestsUnavailable();

describe('teardown leaves the host as it was', { skip }, () => {
  const id = uniqueSuffix();
  const pool = new NetnsPool(`bc${id}`);
  const chainPrefix = `BC${id.toUpperCase()}`;
  const bridges = [`bc${id}0`, `bc${id}n`];
  const networkIds: string[] = [];
  let dir = '';
  let manager: NetworkManager;

  /** Whether a snapshot entry is something this test could have made. */
  const ours = (entry: string) =>
    entry.includes(chainPrefix) ||
    entry.includes(`bc${id}`) ||
    networkIds.some((networkId) => entry.includes(networkId)) ||
    /CNI-(HOSTPORT|DN-)/.test(entry) ||
    /^veth\S*$/.test(entry) ||
    bridges.some((bridge) => entry.endsWith(` ${bridge}`));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-network-cycles-'));
    const subnet = await freeSubnet();
    manager = await NetworkManager.open({
      stateDir: dir,
      chainPrefix,
      defaultBridge: { bridgeName: bridges[0], bip: subnet.replace(/0\/24$/, '1/24') },
    });
  });

  after(async () => {
    try {
      await manager?.teardown();
    } finally {
      await pool.removeAll();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('20 attach/detach cycles and a network create/delete leave the same links, netns, iptables lines and leases', async (t) => {
    const before = await snapshotHost(dir);
    const network = await manager.create({
      name: `bc${id}-net`,
      subnet: await freeSubnet(),
      options: { 'com.docker.network.bridge.name': bridges[1] ?? '' },
    });
    networkIds.push(network.id);
    const timings: { ports: boolean; netnsFirst: boolean; attach: number; detach: number }[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      const ports = cycle < 10;
      const netnsFirst = cycle % 2 === 1;
      const netnsPath = await pool.create(`c${cycle}`);
      let start = performance.now();
      const endpoint = await manager.attach(network.id, {
        containerId: `${id}${cycle}`.padEnd(64, 'a'),
        containerName: `c${cycle}`,
        netnsPath,
        portMappings: ports
          ? [
              { containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 0 },
              { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 0 },
            ]
          : [],
      });
      const attach = performance.now() - start;
      assert.equal(endpoint.ports.length, ports ? 2 : 0);
      // A container's removal drops its namespace first; a disconnect of a running one does not.
      if (netnsFirst) await pool.delete(`c${cycle}`);
      start = performance.now();
      await manager.detach(network.id, endpoint.containerId);
      timings.push({ ports, netnsFirst, attach, detach: performance.now() - start });
      if (!netnsFirst) await pool.delete(`c${cycle}`);
    }
    await manager.remove(network.id);
    const after = await settledSnapshot(dir, before, ours);
    for (const key of ['links', 'netns', 'iptables', 'leases'] as const) {
      const diff = changes(before[key], after[key]);
      const left = [...diff.added, ...diff.removed].filter(ours);
      assert.deepEqual(left, [], `${key} changed`);
      t.diagnostic(
        `${key}: ${before[key].length} before, ${after[key].length} after (other processes' changes ignored)`,
      );
    }
    for (const group of [true, false].flatMap((ports) =>
      [false, true].map((netnsFirst) => ({ ports, netnsFirst })),
    )) {
      const rows = timings.filter((row) => row.ports === group.ports && row.netnsFirst === group.netnsFirst);
      t.diagnostic(
        `ports=${group.ports} netns removed first=${group.netnsFirst}: attach median ${median(rows.map((r) => r.attach))} ms, detach median ${median(rows.map((r) => r.detach))} ms`,
      );
    }
  });
});

function median(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1);
}
