import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { detectCgroupLayout } from '../../cgroups/layout.js';
import { runCommand } from '../../core/exec.js';
import { logOutput } from '../testing/output.js';
import { newId, Testbed, testbedSkipReason } from '../testing/testbed.js';
import { createConmonRuntime, findExecutable } from './factory.js';

const skip =
  (await testbedSkipReason()) ??
  (await findExecutable('crun').then(
    () => undefined,
    () => 'crun is not installed',
  ));

/** crun before 1.9 refuses hosts with v1 controllers plus a cgroup2 mount. */
async function crunRefusesThisHost(): Promise<boolean> {
  const layout = await detectCgroupLayout();
  const hybrid = layout.version === 1 && layout.hierarchies.some((h) => h.version === 2);
  const { stdout } = await runCommand('crun', ['--version']);
  const [major = 0, minor = 0] = (/version\s+(\d+)\.(\d+)/.exec(stdout) ?? []).slice(1).map(Number);
  return hybrid && (major < 1 || (major === 1 && minor < 9));
}

describe('conmon + crun: selectable per container', { skip }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await Testbed.create();
  });
  after(async () => {
    await bed?.dispose();
  });

  it('runs a container, or fails create with the reason crun gives on this host', async () => {
    const crun = await createConmonRuntime({
      execRoot: bed.execRoot,
      runtime: { name: 'crun', path: 'crun', args: [] },
    });
    const id = newId();
    const { spec } = await bed.spec(id, { cmd: ['echo', 'hi'] });
    if (await crunRefusesThisHost()) {
      await assert.rejects(
        crun.create(id, { spec, rootfs: await bed.rootfs(id) }),
        /hybrid mode not supported/,
      );
      assert.deepEqual(await crun.list(), []);
      return;
    }
    const { logPath } = await crun.create(id, { spec, rootfs: await bed.rootfs(id) });
    await crun.start(id);
    assert.equal((await crun.wait(id)).exitCode, 0);
    assert.equal((await logOutput(logPath)).stdout, 'hi\n');
    await crun.delete(id);
    // The runc runtime on the same exec root does not list crun's containers.
    assert.deepEqual(await bed.runtime.list(), []);
  });
});
