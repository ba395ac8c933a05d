import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execProcess } from '../../containers/spec/exec.js';
import { ErrorKind } from '../../core/errors.js';
import { collect, eventually, logOutput } from '../testing/output.js';
import { newId, Testbed, testbedSkipReason } from '../testing/testbed.js';

const skip = await testbedSkipReason();

describe('conmon + runc: TTY, resize and exec', { skip }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await Testbed.create();
  });
  after(async () => {
    await bed?.dispose();
  });

  it('gives a TTY that follows resizes, before and after start', async () => {
    // The resize (control FIFO) may land after the line (attach socket): wait for it, bounded.
    const waitResize =
      'end=$(($(date +%s) + 30)); while [ "$(stty size)" != "40 120" ] && [ $(date +%s) -lt $end ]; do sleep 0.1; done';
    const script = `stty size; read line; ${waitResize}; stty size; echo "got $line"`;
    const { id, logPath } = await bed.create(['sh', '-c', script], { tty: true }, { stdin: true });
    await bed.runtime.resize(id, { height: 30, width: 100 });
    const session = await bed.runtime.attach(id);
    let screen = '';
    session.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
    });
    await bed.runtime.start(id);
    await eventually(() => screen.includes('30 100'), 30_000);
    await bed.runtime.resize(id, { height: 40, width: 120 });
    session.stdin?.write('abc\n');
    assert.equal((await bed.runtime.wait(id)).exitCode, 0);
    await session.closed;
    // The terminal echoes the input and ends lines with CR LF.
    assert.equal(screen, '30 100\r\nabc\r\n40 120\r\ngot abc\r\n');
    assert.equal((await logOutput(logPath)).stdout, screen);
    await bed.runtime.delete(id);
  });

  it('refuses to resize a container without a TTY', async () => {
    const { id } = await bed.create(['true']);
    await assert.rejects(bed.runtime.resize(id, { height: 1, width: 1 }), {
      kind: ErrorKind.FailedPrecondition,
    });
    await bed.runtime.delete(id);
  });

  describe('exec into a running container', () => {
    let id: string;
    let process: Awaited<ReturnType<Testbed['spec']>>['spec']['process'];
    before(async () => {
      id = newId();
      const { spec } = await bed.spec(id, { cmd: ['sleep', '300'], hostname: 'exec-box' });
      process = spec.process;
      await bed.runtime.create(id, { spec, rootfs: await bed.rootfs(id) });
      await bed.runtime.start(id);
    });
    const execSpec = (cmd: string[], options: { tty?: boolean; env?: string[] } = {}) =>
      execProcess(process, { cmd, ...options }, { passwd: '', group: '', boundingCapabilities: [] });

    it('streams stdout and stderr and returns the exit code', async () => {
      const session = await bed.runtime.exec(id, 'e1', {
        process: execSpec(['sh', '-c', 'echo "in $(hostname) as $$ with $FOO"; echo err >&2; exit 5'], {
          env: ['FOO=bar'],
        }),
        attach: { stdout: true, stderr: true },
      });
      const [stdout, stderr] = [collect(session.io!.stdout), collect(session.io!.stderr)];
      assert.equal((await session.wait()).exitCode, 5);
      assert.match(await stdout, /^in exec-box as \d+ with bar\n$/);
      assert.equal(await stderr, 'err\n');
      assert.ok(session.pid > 0);
    });

    it('feeds stdin and runs with a TTY of the asked size', async () => {
      const piped = await bed.runtime.exec(id, 'e2', {
        process: execSpec(['cat']),
        stdin: true,
        attach: { stdin: true, stdout: true },
      });
      const output = collect(piped.io!.stdout);
      piped.io!.stdin?.end('through exec\n');
      assert.equal((await piped.wait()).exitCode, 0);
      assert.equal(await output, 'through exec\n');

      const tty = await bed.runtime.exec(id, 'e3', {
        process: execSpec(['stty', 'size'], { tty: true }),
        attach: { stdout: true },
        size: { height: 24, width: 80 },
      });
      const screen = collect(tty.io!.stdout);
      assert.equal((await tty.wait()).exitCode, 0);
      assert.equal(await screen, '24 80\r\n');
    });

    it('runs detached, and reports a missing command as an error', async () => {
      const detached = await bed.runtime.exec(id, 'e4', { process: execSpec(['sh', '-c', 'exit 7']) });
      assert.equal(detached.io, undefined);
      assert.equal((await detached.wait()).exitCode, 7);
      await assert.rejects(
        bed.runtime.exec(id, 'e5', { process: execSpec(['/no/such/thing']) }),
        /no such file/,
      );
    });

    it('refuses an exec into a stopped container', async () => {
      await bed.runtime.kill(id, 'KILL');
      await bed.runtime.wait(id);
      await assert.rejects(bed.runtime.exec(id, 'e6', { process: execSpec(['true']) }), {
        kind: ErrorKind.FailedPrecondition,
      });
    });
  });
});
