import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, type TestDaemon, waitExit } from '../testing/daemon.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const busybox = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

describe('docker logs against berthd', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  let dir: string;
  let daemon: TestDaemon;
  const run = (...args: string[]) => runCommand(docker!, ['-H', daemon.host, ...args], { timeoutMs: 60_000 });
  const names: string[] = [];
  const name = (label: string) => {
    const n = `logs-${label}-${process.pid}`;
    names.push(n);
    return n;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
    // The daemon's log-opts reach containers that name no options of their own.
    daemon = await startDaemon({ dir, config: { 'log-opts': { 'max-size': '4k', labels: 'team' } } });
    assert.equal((await run('load', '-i', busybox)).code, 0);
  });
  after(async () => {
    if (daemon) {
      for (const n of names) await run('rm', '-f', n);
      await daemon.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('selects streams, tails, stamps and details like docker', async () => {
    const c = name('basic');
    const script = 'for i in 1 2 3; do echo out$i; echo err$i >&2; done';
    assert.equal((await run('run', '--name', c, '-l', 'team=blue', 'busybox', 'sh', '-c', script)).code, 0);
    const all = await run('logs', c);
    assert.deepEqual([all.stdout, all.stderr], ['out1\nout2\nout3\n', 'err1\nerr2\nerr3\n']);
    // The two pipes are read apart, so only the order within a stream is fixed.
    const tail = await run('logs', '--tail', '2', c);
    assert.equal(`${tail.stdout}${tail.stderr}`.split('\n').length - 1, 2);
    assert.match(tail.stdout, /^(out[23]\n)*$/);
    const stamped = await run('logs', '-t', c);
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out1\n/);
    const details = await run('logs', '--details', c);
    assert.match(details.stdout, /^team=blue out1\n/);
    const inspect = await run('inspect', '-f', '{{json .HostConfig.LogConfig}}', c);
    assert.equal(inspect.stdout, '{"Type":"json-file","Config":{"labels":"team","max-size":"4k"}}\n');
  });

  it('follows until the container exits; TTY output is raw', async () => {
    const c = name('follow');
    const started = await run(
      'run',
      '-d',
      '-t',
      '--name',
      c,
      'busybox',
      'sh',
      '-c',
      'echo one; sleep 1; echo two',
    );
    assert.equal(started.code, 0, started.stderr);
    const followed = await run('logs', '-f', c);
    assert.equal(followed.code, 0);
    assert.equal(followed.stdout, 'one\r\ntwo\r\n');
    // Following a container that has stopped prints what there is and returns.
    const again = await run('logs', '-f', '--tail', '1', c);
    assert.deepEqual([again.stdout, again.code], ['two\r\n', 0]);
  });

  it('since and until filter by time', async () => {
    const c = name('time');
    assert.equal((await run('run', '--name', c, 'busybox', 'echo', 'x')).code, 0);
    assert.equal((await run('logs', '--since', '2100-01-01T00:00:00Z', c)).stdout, '');
    assert.equal((await run('logs', '--until', '2000-01-01T00:00:00Z', c)).stdout, '');
    assert.equal((await run('logs', '--since', '2000-01-01T00:00:00Z', c)).stdout, 'x\n');
  });

  it('the none driver keeps nothing and says so like dockerd', async () => {
    const c = name('none');
    assert.equal((await run('run', '--name', c, '--log-driver', 'none', 'busybox', 'echo', 'x')).code, 0);
    const r = await run('logs', c);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'Error response from daemon: configured logging driver does not support reading\n',
    );
    assert.equal((await run('inspect', '-f', '{{.LogPath}}', c)).stdout, '\n');
  });

  it('bad drivers and options are refused at create', async () => {
    const r = await run('create', '--log-opt', 'foo=bar', 'busybox');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown log opt 'foo' for json-file log driver/);
    const d = await run('create', '--log-driver', 'nope', 'busybox');
    assert.match(
      d.stderr,
      /^Error response from daemon: error looking up logging plugin nope: plugin "nope" not found$/m,
    );
  });

  it('max-size is enforced by the monitor that writes the file', async () => {
    const c = name('size');
    const r = await run(
      'run',
      '--name',
      c,
      '--log-opt',
      'max-size=2k',
      'busybox',
      'sh',
      '-c',
      'i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done',
    );
    assert.equal(r.code, 0);
    const path = (await run('inspect', '-f', '{{.LogPath}}', c)).stdout.trim();
    assert.ok((await stat(path)).size <= 2048);
    const logs = await run('logs', c);
    assert.match(logs.stdout, /line-299\n$/);
    assert.doesNotMatch(logs.stdout, /^line-0$/m);
  });

  it('max-file keeps rotated files that docker logs reads in order, also while following', async () => {
    const c = name('rotate');
    // About 66 KB in bursts of 50 lines: the rotation keeps up, as with a chatty service. The three
    // files hold over a second of output, so a follower a moment behind misses no file.
    const script =
      'i=0; while [ $i -lt 1500 ]; do echo line-$i; i=$((i+1)); [ $((i%50)) = 0 ] && sleep 0.1; done; sleep 0.5';
    const started = await run(
      'run',
      '-d',
      '--name',
      c,
      '--log-opt',
      'max-size=10k',
      '--log-opt',
      'max-file=3',
      'busybox',
      'sh',
      '-c',
      script,
    );
    assert.equal(started.code, 0, started.stderr);
    const followed = await run('logs', '-f', c);
    assert.equal(followed.code, 0);
    const numbers = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => Number(l.replace('line-', '')));
    const contiguous = (ns: number[]) => ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1);
    // Following went on across every rotation: no line twice, none missing, up to the last.
    const seen = numbers(followed.stdout);
    assert.ok(contiguous(seen), 'followed lines are contiguous');
    assert.equal(seen.at(-1), 1499);
    const logs = numbers((await run('logs', c)).stdout);
    assert.ok(contiguous(logs), 'logs are contiguous across the files');
    assert.equal(logs.at(-1), 1499);
    assert.ok(logs[0]! > 0, 'the oldest output was rotated away');
    const tail = await run('logs', '--tail', '3', c);
    assert.equal(tail.stdout, 'line-1497\nline-1498\nline-1499\n');
    const path = (await run('inspect', '-f', '{{.LogPath}}', c)).stdout.trim();
    const files = (await readdir(dirname(path))).filter((f) => /^container\.log(\.\d+)?$/.test(f));
    assert.ok(files.length <= 3, `at most 3 files: ${files.join(' ')}`);
    for (const f of files) assert.ok((await stat(join(dirname(path), f))).size <= 15 * 1024, f);
  });

  it('max-file after a burst: files of at most max-size with the newest lines', async () => {
    const c = name('burst');
    const script = 'i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done';
    const r = await run(
      'run',
      '--name',
      c,
      '--log-opt',
      'max-size=10k',
      '--log-opt',
      'max-file=3',
      'busybox',
      'sh',
      '-c',
      script,
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = (await run('logs', c)).stdout.trim().split('\n');
    const ns = lines.map((l) => Number(l.replace('line-', '')));
    assert.equal(ns.at(-1), 19999);
    assert.ok(
      ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1),
      'contiguous',
    );
    const path = (await run('inspect', '-f', '{{.LogPath}}', c)).stdout.trim();
    const files = (await readdir(dirname(path))).filter((f) => f.startsWith('container.log'));
    assert.deepEqual(files.sort(), ['container.log', 'container.log.1', 'container.log.2']);
    // The writer rotates before a record that would pass max-size.
    for (const f of files) assert.ok((await stat(join(dirname(path), f))).size <= 10 * 1024, f);
  });

  /**
   * The log files and their sizes once the keeper has written all there is:
   * three looks alike, 200 ms apart (a file renamed between listing and stat
   * is a look that does not count).
   */
  async function settledLogFiles(logDir: string): Promise<Map<string, number>> {
    const look = async () => {
      const sizes = new Map<string, number>();
      for (const f of (await readdir(logDir)).filter((f) => /^container\.log(\.\d+)?$/.test(f))) {
        const st = await stat(join(logDir, f)).catch(() => undefined);
        if (!st) return undefined;
        sizes.set(f, st.size);
      }
      return sizes;
    };
    const text = (sizes: Map<string, number> | undefined) => JSON.stringify(sizes && [...sizes].sort());
    let last = await look();
    let alike = 0;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && alike < 2; ) {
      await sleep(200);
      const now = await look();
      alike = now && text(now) === text(last) ? alike + 1 : 0;
      last = now;
    }
    return last ?? new Map();
  }

  /** `docker logs -f` read by a slow client: the follower falls behind the writer by many rotations. */
  async function followSlowly(container: string): Promise<number[]> {
    const child = spawn(docker!, ['-H', daemon.host, 'logs', '-f', container], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const parts: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      parts.push(b);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 2);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    assert.equal(code, 0);
    return Buffer.concat(parts).toString().trim().split('\n').map(Number);
  }

  // Lines of 8 bytes: conmon's 8 KiB reads never end inside one, so no line is cut into partial
  // records (one cut before a deleted span would be joined to the line after it).
  const first = 1_000_000;
  const tightLoop = (n: number) => ['busybox', 'sh', '-c', `seq -w ${first} ${first + n - 1}; sleep 0.5`];

  it('logs -f behind a tight-loop writer reads every line there is, once and in order', async () => {
    const c = name('tight');
    const n = 100_000;
    // max-file keeps more than the ~4.5 MB written: no line is ever deleted, so none may be missing.
    const opts = ['--log-opt', 'max-size=100k', '--log-opt', 'max-file=100'];
    assert.equal((await run('run', '-d', '--name', c, ...opts, ...tightLoop(n))).code, 0);
    const followed = await followSlowly(c);
    const wrong = followed.findIndex((v, i) => v !== first + i);
    assert.equal(wrong, -1, `line ${wrong}: ${followed.slice(Math.max(0, wrong - 2), wrong + 3).join(' ')}`);
    assert.equal(followed.length, n);
    const path = (await run('inspect', '-f', '{{.LogPath}}', c)).stdout.trim();
    const rotated = (await readdir(dirname(path))).filter((f) => /^container\.log\.\d+$/.test(f));
    assert.ok(rotated.length > 20, `rotated ${rotated.length} times`);
    const logs = (await run('logs', c)).stdout.trim().split('\n').map(Number);
    assert.deepEqual(logs, followed);
  });

  it('logs -f behind a tight-loop writer with max-file: what max-file kept was all followed', async () => {
    const c = name('tight-kept');
    const n = 100_000;
    const opts = ['--log-opt', 'max-size=100k', '--log-opt', 'max-file=3'];
    assert.equal((await run('run', '-d', '--name', c, ...opts, ...tightLoop(n))).code, 0);
    const followed = await followSlowly(c);
    // Lines deleted before the follower got to them may be missing (dockerd's follower skips
    // even the rotated files still there); nothing twice, nothing out of order, up to the end.
    const backwards = followed.findIndex((v, i) => i > 0 && v <= followed[i - 1]!);
    assert.equal(
      backwards,
      -1,
      `followed lines increase: ${followed.slice(backwards - 2, backwards + 2).join(' ')}`,
    );
    assert.equal(followed.at(-1), first + n - 1);
    // The files max-file kept were on disk all along: the follower read every line of them.
    const kept = (await run('logs', c)).stdout.trim().split('\n').map(Number);
    assert.ok(kept.length > 1000, `${kept.length} lines kept`);
    assert.deepEqual(followed.slice(-kept.length), kept);
  });
  it('max-size and max-file hold while berthd is down: the writer rotates', async () => {
    const c = name('down');
    const opts = ['--log-opt', 'max-size=20k', '--log-opt', 'max-file=3'];
    const writer = 'i=0; while true; do echo line-$i; i=$((i+1)); done';
    assert.equal((await run('run', '-d', '--name', c, ...opts, 'busybox', 'sh', '-c', writer)).code, 0);
    const path = (await run('inspect', '-f', '{{.LogPath}}', c)).stdout.trim();
    const pid = Number((await run('inspect', '-f', '{{.State.Pid}}', c)).stdout.trim());
    const lastBefore = Number((await run('logs', '--tail', '1', c)).stdout.trim().replace('line-', ''));
    daemon.process.kill('SIGKILL');
    await waitExit(daemon.process);
    await sleep(1500);
    // The writer is paused before the files are looked at: a listing taken during a rotation
    // (between removing the oldest file and renaming the next one onto it) is one file short.
    process.kill(pid, 'SIGSTOP');
    try {
      const files = await settledLogFiles(dirname(path));
      assert.deepEqual([...files.keys()].sort(), ['container.log', 'container.log.1', 'container.log.2']);
      for (const [f, size] of files) assert.ok(size <= 20_000, `${f}: ${size} bytes`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    daemon = await startDaemon({ dir });
    assert.equal((await run('stop', '-t', '1', c)).code, 0);
    // What is kept is the newest output, in order: written and rotated while berthd was down.
    const kept = (await run('logs', c)).stdout
      .trim()
      .split('\n')
      .map((l) => Number(l.replace('line-', '')));
    assert.ok(kept[0]! > lastBefore, `kept from ${kept[0]}, last before the kill ${lastBefore}`);
    assert.ok(
      kept.every((n, i) => i === 0 || n === kept[i - 1]! + 1),
      'contiguous',
    );
  });
});
