import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bin } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';
import { earlyEndpoint } from './main.js';

describe('earlyEndpoint', () => {
  const env = { DOCKER_HOST: 'unix:///env.sock' };
  it('reads -H in each of commander’s spellings before the command', () => {
    for (const argv of [
      ['-H', 'unix:///h.sock', 'run', 'busybox'],
      ['--host', 'unix:///h.sock', 'run'],
      ['--host=unix:///h.sock', 'ps'],
      ['-Hunix:///h.sock', 'ps'],
      ['-D', '-l', 'debug', '-H', '/h.sock', 'ps'],
    ]) {
      assert.equal(earlyEndpoint(argv, env)?.socketPath, '/h.sock', argv.join(' '));
    }
  });
  it('falls back to the environment, and stops at the command', () => {
    assert.equal(earlyEndpoint(['run', '-H', 'unix:///not-global.sock'], env)?.socketPath, '/env.sock');
  });
  it('gives up on flags it does not know, and on hosts it cannot parse', () => {
    assert.equal(earlyEndpoint(['--tlsverify', '-H', 'tcp://h:2376', 'ps'], env), undefined);
    assert.equal(earlyEndpoint(['-H', 'ssh:/nope', 'ps'], env), undefined);
  });
});

describe('berth with no daemon behind its socket', () => {
  const host = `unix:///nonexistent-${process.pid}/berth.sock`;
  it('words run’s failure as docker run does, with the pointer to its help, and exits 125', async () => {
    const r = await runCommand(bin('berth'), ['-H', host, 'run', '--rm', 'busybox', 'true']);
    assert.equal(
      r.stderr,
      `berth: Cannot connect to the Berth daemon at ${host}. Is the daemon running?\n\nRun 'berth run --help' for more information\n`,
    );
    assert.equal(r.code, 125);
  });
  it('words create’s failure plainly, as docker create does, and exits 1', async () => {
    const r = await runCommand(bin('berth'), ['-H', host, 'create', 'busybox']);
    assert.equal(r.stderr, `Cannot connect to the Berth daemon at ${host}. Is the daemon running?\n`);
    assert.equal(r.code, 1);
  });
  it('ends at once on a usage error, with the ping sent ahead still unanswered', async () => {
    // A daemon that accepts connections and never answers.
    const dir = await mkdtemp(join(tmpdir(), 'berth-silent-'));
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(join(dir, 'd.sock'), resolve));
    try {
      const r = await runCommand(
        bin('berth'),
        ['-H', `unix://${join(dir, 'd.sock')}`, 'run', '--no-such-flag', 'busybox'],
        { timeoutMs: 10_000 },
      );
      assert.match(r.stderr, /^unknown flag: --no-such-flag\n/);
      assert.equal(r.code, 125);
    } finally {
      silent.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
