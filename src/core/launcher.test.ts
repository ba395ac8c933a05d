import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expectConnection, useRelaySocket } from '../runtime/relay-socket.js';
import { LaunchError, LauncherUnavailable, ProcessLauncher } from './launcher.js';

describe('process launcher', () => {
  const launcher = new ProcessLauncher();
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-launcher-'));
  });
  after(async () => {
    launcher.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a program and returns its exit code and output', async () => {
    const outcome = await launcher.run('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(outcome.code, 3);
    assert.equal(outcome.signal, null);
    assert.equal(outcome.stdout.toString(), 'out\n');
    assert.equal(outcome.stderr.toString(), 'err\n');
  });

  it('passes arguments as they are: empty, spaces, newlines, non-ASCII', async () => {
    const args = ['', 'a b', 'line\nbreak', 'é—✓', '-'];
    const outcome = await launcher.run('sh', [
      '-c',
      'for a in "$@"; do printf "[%s]" "$a"; done',
      'sh',
      ...args,
    ]);
    assert.equal(outcome.stdout.toString(), args.map((a) => `[${a}]`).join(''));
  });

  it('keeps binary output intact, megabytes of it', async () => {
    const outcome = await launcher.run('sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" "\\377"']);
    assert.equal(outcome.stdout.length, 3_000_000);
    assert.ok(outcome.stdout.every((b) => b === 0xff));
  });

  it('writes the input to stdin and closes it', async () => {
    const input = 'x'.repeat(300_000);
    const outcome = await launcher.run('wc', ['-c'], { input });
    assert.equal(outcome.stdout.toString().trim(), '300000');
    assert.equal((await launcher.run('cat', [])).stdout.length, 0, 'without input, stdin is at its end');
  });

  it('runs in the working directory and environment given', async () => {
    const outcome = await launcher.run('sh', ['-c', 'pwd; echo "$ONLY"; echo "[$HOME]"'], {
      cwd: dir,
      env: { ONLY: 'this', PATH: process.env['PATH'] },
    });
    assert.equal(outcome.stdout.toString(), `${dir}\nthis\n[]\n`);
  });

  it('gives the program default signal handling (SIGPIPE ends a writer)', async () => {
    // With SIGPIPE ignored, yes would print "Broken pipe" and exit on EPIPE instead.
    const outcome = await launcher.run('sh', ['-c', 'yes | head -c 1 >/dev/null']);
    assert.equal(outcome.code, 0);
    assert.equal(outcome.stderr.toString(), '');
  });

  it('says ENOENT for a missing program or working directory, as spawn does', async () => {
    await assert.rejects(launcher.run('berth-no-such-program', []), (err: unknown) => {
      assert.ok(err instanceof LaunchError);
      assert.equal(err.code, 'ENOENT');
      return true;
    });
    await assert.rejects(launcher.run('true', [], { cwd: join(dir, 'missing') }), { code: 'ENOENT' });
  });

  it('reports the signal that ended a program', async () => {
    const outcome = await launcher.run('sh', ['-c', 'kill -KILL $$']);
    assert.equal(outcome.code, -1);
    assert.equal(outcome.signal, 'SIGKILL');
  });

  it('aborting ends the program', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = launcher.run('sleep', ['30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(running, { name: 'AbortError' });
    assert.ok(Date.now() - started < 10_000);
    // The launcher goes on serving.
    assert.equal((await launcher.run('echo', ['still'])).stdout.toString(), 'still\n');
  });

  it('runs many programs at once, each reply to its caller', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => launcher.run('sh', ['-c', `sleep 0.0$((${i} % 5)); echo ${i}`])),
    );
    assert.deepEqual(
      outcomes.map((o) => o.stdout.toString()),
      Array.from({ length: 40 }, (_, i) => `${i}\n`),
    );
  });

  it("hands a program a connection to the relay socket as fds 3 and 4 (conmon's pipes)", async () => {
    useRelaySocket(dir);
    const expected = await expectConnection();
    const ran = launcher.connected(
      dir,
      expected.token,
      'sh',
      ['-c', 'printf "pid %s\\n" "$$" >&3; head -c 1 <&4 >/dev/null; printf "started in %s" "$PWD" >&3'],
      { cwd: '/', env: { PATH: process.env['PATH'] } },
    );
    const socket = await expected.arrived;
    socket.ref(); // the relay socket's server does not hold a process up; this test waits on it
    const ended = new Promise((resolve) => socket.once('end', resolve));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(Buffer.concat(received).toString(), /^pid \d+\n$/, 'the program waits for the start byte');
    socket.write('0');
    const outcome = await ran;
    assert.equal(outcome.code, 0, outcome.stderr.toString());
    await ended;
    assert.match(Buffer.concat(received).toString(), /^pid \d+\nstarted in \/$/);
    socket.destroy();
  });

  it('a launcher that was never ready lets the caller spawn directly', async () => {
    const broken = new ProcessLauncher();
    const original = process.env['PATH'];
    process.env['PATH'] = dir; // no perl here
    try {
      await assert.rejects(broken.run('true', []), LauncherUnavailable);
    } finally {
      process.env['PATH'] = original;
      broken.stop();
    }
    assert.equal(broken.available, false, 'not tried again at once');
  });

  describe('kernel calls (root only)', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
    const mountsOn = async (path: string) =>
      (await readFile('/proc/self/mountinfo', 'utf8'))
        .split('\n')
        .filter((line) => line.split(' ')[4] === path);

    it('mounts with flags and data, unmounts a stack of mounts, and says EINVAL where nothing is mounted', async () => {
      const target = await mkdtemp(join(dir, 'mnt-'));
      await launcher.kernelCall('mount', ['tmpfs', target, 'tmpfs', '1', 'size=1m,mode=700']);
      await launcher.kernelCall('mount', ['tmpfs', target, 'tmpfs', '0', 'size=2m']);
      const [lower, upper] = await mountsOn(target);
      assert.match(lower ?? '', / ro[, ].* tmpfs tmpfs ro,size=1024k,mode=700/);
      assert.match(upper ?? '', / rw[, ].* tmpfs tmpfs rw,size=2048k/);
      await launcher.kernelCall('umount-all', [target]);
      assert.deepEqual(await mountsOn(target), []);
      await assert.rejects(launcher.kernelCall('umount', [target, '0']), (err: LaunchError) => {
        assert.equal(err.code, 'EINVAL');
        assert.match(err.message, /umount .*mnt-.*: Invalid argument/);
        return true;
      });
      await assert.rejects(launcher.kernelCall('mount', ['none', target, 'no-such-fs', '0', '']), {
        code: 'ENODEV',
      });
    });

    it("makes a network namespace with loopback up on a file, which a detached unmount frees (ip netns' work)", async () => {
      const file = join(dir, 'netns');
      await writeFile(file, '');
      await launcher.kernelCall('netns', [file]);
      const own = await readlink('/proc/self/ns/net');
      const inside = await launcher.run('nsenter', [
        `--net=${file}`,
        'sh',
        '-c',
        'readlink /proc/self/ns/net; ip -o link show',
      ]);
      assert.equal(inside.code, 0, inside.stderr.toString());
      const [ns = '', ...links] = inside.stdout.toString().trim().split('\n');
      assert.notEqual(ns, own, 'a namespace of its own');
      assert.equal(links.length, 1, 'loopback only');
      assert.match(links[0] ?? '', /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
      await launcher.kernelCall('umount', [file, '2']);
      assert.deepEqual(await mountsOn(file), []);
      // Nothing stays in it (the launcher's process that made it went back to the host's).
      const holders: string[] = [];
      for (const pid of await readdir('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        if ((await readlink(`/proc/${pid}/ns/net`).catch(() => '')) === ns) holders.push(pid);
      }
      assert.deepEqual(holders, []);
    });

    it('deletes a network interface (both ends of a veth), and one already gone is fine', async () => {
      const name = `blt${process.pid % 100000}`;
      const made = await launcher.run('ip', [
        'link',
        'add',
        `${name}a`,
        'type',
        'veth',
        'peer',
        'name',
        `${name}b`,
      ]);
      assert.equal(made.code, 0, made.stderr.toString());
      try {
        await launcher.kernelCall('link-del', [`${name}a`]);
        assert.notEqual(
          (await launcher.run('ip', ['link', 'show', `${name}b`])).code,
          0,
          'the peer went too',
        );
        await launcher.kernelCall('link-del', [`${name}a`]);
      } finally {
        await launcher.run('ip', ['link', 'delete', `${name}a`]);
      }
    });

    it('removes a tree without following its links, and a tree already gone is fine', async () => {
      const tree = join(dir, 'tree');
      const outside = join(dir, 'outside');
      await mkdir(join(tree, 'a', 'b', 'c'), { recursive: true });
      await mkdir(outside);
      await writeFile(join(outside, 'keep'), 'kept');
      await writeFile(join(tree, 'a', 'b', 'c', 'file'), 'x', { mode: 0 });
      await symlink(outside, join(tree, 'a', 'link-to-outside'));
      await symlink(join(outside, 'keep'), join(tree, 'file-link'));
      await launcher.kernelCall('rm-tree', [tree]);
      await assert.rejects(readdir(tree), { code: 'ENOENT' });
      assert.equal(await readFile(join(outside, 'keep'), 'utf8'), 'kept');
      await launcher.kernelCall('rm-tree', [tree]);
    });

    it('keeps workers for calls only while they are used', async () => {
      const original = process.env['BERTH_LAUNCHER_WORKER_IDLE'];
      process.env['BERTH_LAUNCHER_WORKER_IDLE'] = '1';
      let said = '';
      const quick = new ProcessLauncher({ onStderr: (text) => (said += text) });
      try {
        const pid = (await quick.run('sh', ['-c', 'echo $PPID'])).stdout.toString().trim();
        const children = async () => {
          const found: string[] = [];
          for (const entry of await readdir('/proc')) {
            const status = /^\d+$/.test(entry)
              ? await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '')
              : '';
            if (new RegExp(`\\nPPid:\\s+${pid}\\n`).test(status)) found.push(entry);
          }
          return found;
        };
        const missing = join(dir, 'not-mounted');
        const calls = [1, 2, 3].map(() =>
          quick.kernelCall('umount', [missing, '0']).catch((err: LaunchError) => err.code),
        );
        assert.deepEqual(await Promise.all(calls), ['ENOENT', 'ENOENT', 'ENOENT']);
        const busy = (await children()).length;
        assert.ok(busy >= 1 && busy <= 3, `${busy} workers for 3 calls at once`);
        await new Promise((resolve) => setTimeout(resolve, 3000));
        assert.deepEqual(await children(), [], 'idle workers end');
        await assert.rejects(quick.kernelCall('umount', [missing, '0']), { code: 'ENOENT' });
        // Retiring workers once freed values it was still iterating over.
        assert.equal(said, '', 'the launcher printed nothing');
      } finally {
        quick.stop();
        if (original === undefined) delete process.env['BERTH_LAUNCHER_WORKER_IDLE'];
        else process.env['BERTH_LAUNCHER_WORKER_IDLE'] = original;
      }
    });

    it('says why a call failed in its child, and the launcher goes on', async () => {
      await assert.rejects(launcher.kernelCall('netns', [join(dir, 'missing', 'netns')]), {
        code: 'ENOENT',
        message: /bind the namespace on .*missing\/netns: No such file or directory/,
      });
      assert.equal((await launcher.run('true', [])).code, 0);
    });
  });
});
