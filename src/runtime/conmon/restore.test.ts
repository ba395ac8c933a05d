import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isMountPoint, mountAll } from '../../snapshots/mount.js';
import { isAlive } from '../process.js';
import { isRuntimeCleaner } from '../runtime.js';
import { eventually, logOutput } from '../testing/output.js';
import { newId, Testbed, testbedSkipReason } from '../testing/testbed.js';
import { createConmonRuntime } from './factory.js';

const skip = await testbedSkipReason();

/** A separate "daemon": creates and starts the containers in a job file with its own Runtime, then idles. */
const DAEMON = `
import { readFile } from 'node:fs/promises';
const [factory, execRoot, jobFile, monitorCgroup] = process.argv.slice(1);
const { createConmonRuntime } = await import(factory);
const runtime = await createConmonRuntime({ execRoot, runtime: { name: 'runc', path: 'runc', args: [] }, monitorCgroup });
for (const job of JSON.parse(await readFile(jobFile, 'utf8'))) {
  await runtime.create(job.id, { spec: job.spec, rootfs: job.rootfs });
  await runtime.start(job.id);
}
process.stdout.write('started\\n');
setInterval(() => {}, 1000);
`;

describe('conmon + runc: containers outlive the daemon and are restored', { skip }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await Testbed.create({ monitorCgroup: true });
  });
  after(async () => {
    await bed?.dispose();
  });

  /** Runs the jobs in a child process, then kills it with SIGKILL, as a crashing daemon. */
  async function createInDoomedDaemon(jobs: { id: string; cmd: string[]; init?: boolean }[]): Promise<void> {
    const specs = [];
    for (const job of jobs) {
      const { spec } = await bed.spec(job.id, { cmd: job.cmd, ...(job.init ? { init: true } : {}) });
      specs.push({ id: job.id, spec, rootfs: await bed.rootfs(job.id) });
    }
    const jobFile = join(bed.scratch, `jobs-${jobs[0]?.id}.json`);
    await writeFile(jobFile, JSON.stringify(specs));
    const factory = new URL('./factory.js', import.meta.url).href;
    const monitorCgroup = `${bed.cgroupParent}/conmon`;
    const daemon = spawn(
      process.execPath,
      ['--input-type=module', '-e', DAEMON, factory, bed.execRoot, jobFile, monitorCgroup],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      daemon.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
      daemon.on('exit', (code) => reject(new Error(`daemon exited with ${code}`)));
    });
    daemon.kill('SIGKILL');
    await new Promise((resolve) => daemon.on('exit', resolve));
  }

  it('keeps running after its creator is killed; a fresh Runtime stops and deletes it', async () => {
    const id = newId();
    await createInDoomedDaemon([{ id, cmd: ['sleep', '300'], init: true }]);
    const fresh = await createConmonRuntime({
      execRoot: bed.execRoot,
      runtime: { name: 'runc', path: 'runc', args: [] },
    });
    const [state] = await fresh.list();
    assert.equal(state?.id, id);
    assert.equal(state?.status, 'running');
    assert.equal(state?.monitorAlive, true);
    assert.ok(await isAlive(state.pid, undefined));
    // conmon lives in the monitor cgroup, out of the killed daemon's.
    assert.match(
      await readFile(`/proc/${state.monitorPid}/cgroup`, 'utf8'),
      new RegExp(`${bed.cgroupParent}/conmon`),
    );
    await fresh.kill(id, 'TERM');
    const exit = await fresh.wait(id);
    assert.equal(exit.exitCode, 143);
    await fresh.delete(id);
    assert.deepEqual(await fresh.list(), []);
    assert.equal(await isAlive(state.monitorPid, undefined), false);
  });

  it('reports the exit code and time of a container that exited while no daemon ran', async () => {
    const id = newId();
    await createInDoomedDaemon([{ id, cmd: ['sh', '-c', 'echo bye; exit 4'] }]);
    const fresh = await createConmonRuntime({
      execRoot: bed.execRoot,
      runtime: { name: 'runc', path: 'runc', args: [] },
    });
    // conmon writes the exit file once the log is synced, which may take a while.
    await eventually(async () => (await fresh.state(id)).exit !== undefined, 10_000);
    const seen = Date.now();
    const [state] = await fresh.list();
    assert.equal(state?.status, 'stopped');
    assert.equal(state?.exit?.exitCode, 4);
    // The time it exited, not the time it was read.
    assert.ok((state?.exit?.exitedAt.getTime() ?? Infinity) <= seen);
    assert.equal((await logOutput(state.logPath)).stdout, 'bye\n');
    assert.equal((await fresh.delete(id))?.exitCode, 4);
  });

  it('removes what a create interrupted before its record was written', async () => {
    const id = newId();
    const bundle = join(bed.execRoot, 'containers', id);
    await mkdir(join(bundle, 'rootfs'), { recursive: true });
    await mountAll(await bed.rootfs(id), join(bundle, 'rootfs'));
    const fresh = await createConmonRuntime({
      execRoot: bed.execRoot,
      runtime: { name: 'runc', path: 'runc', args: [] },
    });
    assert.ok(isRuntimeCleaner(fresh));
    assert.deepEqual(await fresh.list(), []);
    assert.deepEqual(await fresh.removeIncomplete(), [id]);
    assert.equal(await isMountPoint(join(bundle, 'rootfs')), false);
    await assert.rejects(access(bundle), { code: 'ENOENT' });
  });
});
