import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readV2 } from './stats.js';

// A cgroup v2 host cannot be had on this machine (hybrid v1): the unified
// hierarchy's files, as the kernel writes them, stand in for one.
describe('cgroup v2 counters', () => {
  let root = '';
  after(() => rm(root, { recursive: true, force: true }));

  it('reads memory, cpu (µs to ns), pids and io.stat as Docker stats needs them', async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-cgroup2-'));
    const dir = join(root, 'system.slice', 'berth-abc.scope');
    await mkdir(dir, { recursive: true });
    const files: Record<string, string> = {
      'memory.current': '1052672\n',
      'memory.peak': '2097152\n',
      'memory.max': '16777216\n',
      'memory.stat': 'anon 524288\nfile 4096\ninactive_file 4096\n',
      'cpu.stat':
        'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n',
      'pids.current': '3\n',
      'pids.max': 'max\n',
      'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const stats = await readV2(
      { version: 2, hierarchies: [{ mountPoint: root, controllers: [], version: 2 }] },
      '/system.slice/berth-abc.scope',
    );
    assert.deepEqual(stats.memory, {
      usage: 1052672,
      maxUsage: 2097152,
      limit: 16777216,
      stat: { anon: 524288, file: 4096, inactive_file: 4096 },
    });
    assert.deepEqual(stats.cpu, {
      totalUsage: 1_500_000,
      userUsage: 1_000_000,
      systemUsage: 500_000,
      periods: 10,
      throttledPeriods: 2,
      throttledTime: 300_000,
    });
    assert.deepEqual(stats.pids, { current: 3, limit: undefined }, 'pids.max "max" is no limit');
    assert.deepEqual(stats.blkio, [
      { device: '8:0', op: 'Read', value: 4096 },
      { device: '8:0', op: 'Write', value: 8192 },
    ]);
  });

  it('leaves out what a cgroup does not report (no memory.peak before Linux 5.19)', async () => {
    const dir = join(root, 'older');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'memory.current'), '4096\n');
    const stats = await readV2(
      { version: 2, hierarchies: [{ mountPoint: root, controllers: [], version: 2 }] },
      '/older',
    );
    assert.equal(stats.memory.usage, 4096);
    assert.equal(stats.memory.maxUsage, undefined);
    assert.equal(stats.pids.current, undefined);
    assert.deepEqual(stats.blkio, []);
  });
});
