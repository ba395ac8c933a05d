import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, logOutput } from '../testing/output.js';
import { Testbed, testbedSkipReason } from '../testing/testbed.js';

const skip = await testbedSkipReason();
const MiB = 1024 * 1024;

describe('conmon + runc: cgroup limits are enforced by the kernel', { skip }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await Testbed.create();
  });
  after(async () => {
    await bed?.dispose();
  });

  it('a process over its memory limit is OOM-killed: exit 137, OOM flagged', async () => {
    // The shell keeps the whole command substitution in memory: 200 MB against a 32 MiB limit.
    const hog = 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived $(echo "$x" | wc -c)';
    const { id, logPath } = await bed.create(['sh', '-c', hog], { resources: { memory: 32 * MiB } });
    await bed.runtime.start(id);
    const exit = await bed.runtime.wait(id);
    assert.equal(exit.exitCode, 137);
    assert.doesNotMatch((await logOutput(logPath)).stdout, /survived/);
    // On cgroup v1 conmon may write its OOM marker just after the exit file.
    const oomKilled = async () => (await bed.runtime.state(id)).exit?.oomKilled === true;
    if (!exit.oomKilled) await eventually(oomKilled, 10_000).catch(() => {});
    assert.equal(await oomKilled(), true);
    await bed.runtime.delete(id);
  });

  it('a container within its memory limit is not flagged', async () => {
    const { id } = await bed.create(['sh', '-c', 'head -c 1000000 /dev/zero | wc -c'], {
      resources: { memory: 32 * MiB },
    });
    await bed.runtime.start(id);
    const exit = await bed.runtime.wait(id);
    assert.deepEqual([exit.exitCode, exit.oomKilled], [0, false]);
    await bed.runtime.delete(id);
  });

  it('a fork loop stops at the pids limit', async () => {
    const loop = 'for i in $(seq 1 50); do sleep 30 & echo $i; done';
    const { id, logPath } = await bed.create(['sh', '-c', loop], { resources: { pidsLimit: 10 } });
    await bed.runtime.start(id);
    const exit = await bed.runtime.wait(id);
    const { stdout, stderr } = await logOutput(logPath);
    const started = stdout.trim().split('\n').map(Number);
    assert.notEqual(exit.exitCode, 0);
    assert.match(stderr, /can't fork/);
    // The shell itself and $(seq) count too: fewer than 10 sleeps ever ran.
    assert.ok(Math.max(...started) < 10, `started ${started.length}`);
    await bed.runtime.delete(id);
  });

  it('reports the limits in stats while running', async () => {
    const { id } = await bed.create(['sleep', '30'], { resources: { memory: 64 * MiB, pidsLimit: 42 } });
    await bed.runtime.start(id);
    const stats = await bed.runtime.stats(id);
    assert.equal(stats.memory.limit, 64 * MiB);
    assert.equal(stats.pids.limit, 42);
    assert.ok((stats.cpu.totalUsage ?? 0) > 0);
    await bed.runtime.delete(id, { force: true });
  });
});
