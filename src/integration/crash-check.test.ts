import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, type TestDaemon, waitExit } from '../testing/daemon.js';
import { bin, dockerCli, fixturesDir } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// kill -9 of berthd at random moments of load, create and rm; after each restart
// `berth system check` finds nothing wrong, and the interrupted operation works again.
// BERTH_CRASH_ITERATIONS=50 runs the nightly-sized version.

const docker = dockerCli();
const iterations = Number(process.env.BERTH_CRASH_ITERATIONS) || 3;
const archive = join(fixturesDir, 'images', 'layers.docker-archive.tar');

describe('kill -9 during operations, then system check', { skip: docker ? false : 'no docker CLI' }, () => {
  let dir: string;
  let daemon: TestDaemon | undefined;
  const cli = (...args: string[]) =>
    runCommand(docker!, ['-H', daemon!.host, ...args], { timeoutMs: 120_000 });
  const check = () =>
    runCommand(process.execPath, [
      bin('berth'),
      'system',
      'check',
      '--data-root',
      join(dir, 'data'),
      '--pidfile',
      join(dir, 'berthd.pid'),
    ]);
  /** Starts `docker args`, kills berthd -9 after a random delay, restarts it, stops it, checks the store. */
  const crashDuring = async (args: string[], maxDelayMs: number) => {
    const client = spawn(docker!, ['-H', daemon!.host, ...args], { stdio: 'ignore' });
    await sleep(Math.floor(Math.random() * maxDelayMs));
    daemon!.process.kill('SIGKILL');
    await waitExit(daemon!.process);
    await new Promise((resolve) => (client.exitCode !== null ? resolve(null) : client.once('exit', resolve)));
    // The restarted daemon finishes what the crash left (leases, ingest); a stopped store is then clean.
    daemon = await startDaemon({ dir });
    await daemon.stop();
    const r = await check();
    assert.equal(r.code, 0, `after a crash during ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
    daemon = await startDaemon({ dir });
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-crash-check-'));
    daemon = await startDaemon({ dir, config: {} });
  });
  after(async () => {
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`load, create and rm survive ${iterations} kills each`, async () => {
    for (let i = 0; i < iterations; i++) {
      await crashDuring(['load', '-i', archive], 400);
      const load = await cli('load', '-i', archive);
      assert.equal(load.code, 0, load.stderr);

      const name = `crash-${i}`;
      await crashDuring(['create', '--name', name, 'fixture/layers:latest', 'true'], 150);
      const created = await cli('create', '--name', `${name}-again`, 'fixture/layers:latest', 'true');
      assert.equal(created.code, 0, created.stderr);

      await crashDuring(['rm', '-f', `${name}-again`], 100);
      await cli('rm', '-f', `${name}-again`, name);
      const left = await cli('ps', '-a', '--format', '{{.Names}}');
      assert.doesNotMatch(left.stdout, new RegExp(`^${name}(-again)?$`, 'm'), left.stdout);
    }
  });
});
