import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorKind } from '../../core/errors.js';
import { collect, eventually, logOutput } from '../testing/output.js';
import { newId, Testbed, testbedSkipReason } from '../testing/testbed.js';

const skip = await testbedSkipReason();

describe('conmon + runc: container lifecycle', { skip }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await Testbed.create();
  });
  after(async () => {
    await bed?.dispose();
  });

  /** create + start + wait, then the log's text. */
  const run = async (cmd: string[], request = {}) => {
    const { id, logPath } = await bed.create(cmd, request);
    await bed.runtime.start(id);
    const exit = await bed.runtime.wait(id);
    const output = await logOutput(logPath);
    await bed.runtime.delete(id);
    return { exit, ...output };
  };

  it('runs echo hi: "hi" in the log, exit code 0', async () => {
    const { exit, stdout, stderr } = await run(['echo', 'hi']);
    assert.equal(stdout, 'hi\n');
    assert.equal(stderr, '');
    assert.equal(exit.exitCode, 0);
    assert.equal(exit.oomKilled, false);
    assert.ok(Math.abs(exit.exitedAt.getTime() - Date.now()) < 10_000);
  });

  it("passes the exit code through: sh -c 'exit 3' → 3", async () => {
    const { exit } = await run(['sh', '-c', 'echo oops >&2; exit 3']);
    assert.equal(exit.exitCode, 3);
  });

  it('runs the command as PID 1 with its own hostname', async () => {
    const { stdout } = await run(['sh', '-c', 'echo $$; hostname; cat /etc/hostname'], {
      hostname: 'box-one',
    });
    assert.equal(stdout, '1\nbox-one\nbox-one\n');
  });

  it('moves through created, running, paused and stopped', async () => {
    const { id, pid } = await bed.create(['sleep', '30']);
    assert.equal((await bed.runtime.state(id)).status, 'created');
    await bed.runtime.start(id);
    const running = await bed.runtime.state(id);
    assert.equal(running.status, 'running');
    assert.equal(running.pid, pid);
    assert.equal(running.monitorAlive, true);
    await bed.runtime.pause(id);
    assert.equal((await bed.runtime.state(id)).status, 'paused');
    await assert.rejects(bed.runtime.delete(id), { kind: ErrorKind.FailedPrecondition });
    await bed.runtime.resume(id);
    assert.equal((await bed.runtime.state(id)).status, 'running');
    const stats = await bed.runtime.stats(id);
    assert.ok((stats.memory.usage ?? 0) > 0);
    assert.equal(stats.pids.current, 1);
    await bed.runtime.kill(id, 'KILL');
    const exit = await bed.runtime.wait(id);
    assert.equal(exit.exitCode, 137);
    const stopped = await bed.runtime.state(id);
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.pid, 0);
    await assert.rejects(bed.runtime.kill(id, 'TERM'), { kind: ErrorKind.FailedPrecondition });
    assert.equal((await bed.runtime.delete(id))?.exitCode, 137);
    await assert.rejects(bed.runtime.state(id), { kind: ErrorKind.NotFound });
  });

  it('SIGTERM through --init ends a sleep with 143; SIGKILL gives 137', async () => {
    const term = await bed.create(['sleep', '30'], { init: true });
    await bed.runtime.start(term.id);
    await bed.runtime.kill(term.id, 'SIGTERM');
    assert.equal((await bed.runtime.wait(term.id)).exitCode, 143);
    const killed = await bed.create(['sleep', '30']);
    await bed.runtime.start(killed.id);
    await bed.runtime.kill(killed.id, 9);
    assert.equal((await bed.runtime.wait(killed.id)).exitCode, 137);
    await bed.runtime.delete(term.id);
    await bed.runtime.delete(killed.id);
  });

  it('refuses a second start, and a start after the created process died', async () => {
    const { id } = await bed.create(['true']);
    await bed.runtime.start(id);
    await bed.runtime.wait(id);
    await assert.rejects(bed.runtime.start(id), { kind: ErrorKind.FailedPrecondition });
    await bed.runtime.delete(id);
    const dead = await bed.create(['sleep', '30']);
    process.kill(dead.pid, 'SIGKILL');
    await assert.rejects(bed.runtime.start(dead.id), { kind: ErrorKind.FailedPrecondition });
    assert.equal((await bed.runtime.state(dead.id)).status, 'stopped');
    await bed.runtime.delete(dead.id);
  });

  it('connects an attach prepared during the create, and fails one whose create failed', async () => {
    const id = newId();
    const { spec } = await bed.spec(id, { cmd: ['echo', 'early'] });
    const creating = bed.runtime.create(id, { spec, rootfs: await bed.rootfs(id) });
    const attaching = bed.runtime.attach(id, { stdin: false }, { after: creating });
    const session = await attaching;
    const output = collect(session.stdout);
    await bed.runtime.start(id);
    await bed.runtime.wait(id);
    assert.equal(await output, 'early\n');
    await bed.runtime.delete(id);
    const failed = Promise.reject(new Error('create failed'));
    await assert.rejects(bed.runtime.attach(newId(), {}, { after: failed }), /create failed/);
  });

  it('pipes stdin to cat through the attach socket', async () => {
    const { id, logPath } = await bed.create(['cat'], {}, { stdin: true });
    const session = await bed.runtime.attach(id);
    const output = collect(session.stdout);
    await bed.runtime.start(id);
    session.stdin?.write('hello\n');
    session.stdin?.end('world\n');
    assert.equal((await bed.runtime.wait(id)).exitCode, 0);
    assert.equal(await output, 'hello\nworld\n');
    assert.equal((await logOutput(logPath)).stdout, 'hello\nworld\n');
    await bed.runtime.delete(id);
  });

  it('closeStdin ends a reader of stdin', async () => {
    const { id } = await bed.create(['sh', '-c', 'cat; echo eof'], {}, { stdin: true });
    await bed.runtime.start(id);
    await bed.runtime.closeStdin(id);
    assert.equal((await bed.runtime.wait(id)).exitCode, 0);
    await bed.runtime.delete(id);
  });

  it('demultiplexes stdout and stderr on attach', async () => {
    const { id } = await bed.create(['sh', '-c', 'echo out; echo err >&2; echo out2']);
    const session = await bed.runtime.attach(id, { stdin: false });
    const [stdout, stderr] = [collect(session.stdout), collect(session.stderr)];
    await bed.runtime.start(id);
    await bed.runtime.wait(id);
    assert.equal(await stdout, 'out\nout2\n');
    assert.equal(await stderr, 'err\n');
    await bed.runtime.delete(id);
  });

  it('runs the exit command once the container exits', async () => {
    const marker = join(bed.scratch, 'exit-command-ran');
    const id = newId();
    const { spec } = await bed.spec(id, { cmd: ['true'] });
    await bed.runtime.create(id, {
      spec,
      rootfs: await bed.rootfs(id),
      exitCommand: { path: '/bin/sh', args: ['-c', `echo "$0" > ${marker}`, id] },
    });
    await bed.runtime.start(id);
    await bed.runtime.wait(id);
    await eventually(() =>
      readFile(marker, 'utf8').then(
        (text) => text === `${id}\n`,
        () => false,
      ),
    );
    await bed.runtime.delete(id);
  });

  it('deletes a created container that never ran', async () => {
    const { id } = await bed.create(['true']);
    const exit = await bed.runtime.delete(id);
    assert.ok(exit);
    assert.deepEqual(await bed.runtime.list(), []);
  });

  it('refuses a duplicate id and an unknown one', async () => {
    const { id } = await bed.create(['true']);
    const { spec } = await bed.spec(id, { cmd: ['true'] });
    await assert.rejects(bed.runtime.create(id, { spec, rootfs: await bed.rootfs(`${id}-2`) }), {
      kind: ErrorKind.AlreadyExists,
    });
    await bed.runtime.delete(id);
    await assert.rejects(bed.runtime.start('f'.repeat(64)), { kind: ErrorKind.NotFound });
  });

  it("fails create with the runtime's message when the command does not exist, leaving nothing", async () => {
    await assert.rejects(
      bed.create(['/nonexistent']),
      /exec: "\/nonexistent": stat \/nonexistent: no such file or directory$/,
    );
    assert.deepEqual(await bed.runtime.list(), []);
    assert.deepEqual(await readdir(join(bed.execRoot, 'containers')), []);
  });
});
