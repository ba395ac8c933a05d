import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startDaemon, type TestDaemon } from './daemon.js';
import { busyboxArchive, dockerCli } from './paths.js';
import { type RunResult, runCommand } from './run.js';

export interface BusyboxDaemon {
  /** A temp dir for the suite's own files; the daemon lives in its `daemon` folder. */
  readonly dir: string;
  readonly daemon: TestDaemon;
  /** The real Docker CLI against the daemon. */
  run(...args: string[]): Promise<RunResult>;
  /** `docker inspect -f FORMAT NAME`, trimmed. */
  inspect(format: string, name: string): Promise<string>;
  /** Starts berthd again on the same data root, after the test stopped or killed it. */
  startAgain(): Promise<void>;
}

/**
 * Adds before/after hooks to the calling describe(): a berthd on a fresh temp dir with
 * busybox loaded through the real Docker CLI; afterwards every container, the daemon and
 * the dir are removed, even when a test failed. Call only where dockerCli() found one.
 */
export function withBusyboxDaemon(tempPrefix: string): BusyboxDaemon {
  const docker = dockerCli();
  let dir: string | undefined;
  let daemon: TestDaemon | undefined;
  const run = (...args: string[]) =>
    runCommand(docker!, ['-H', fixture.daemon.host, ...args], { timeoutMs: 60_000 });
  const fixture: BusyboxDaemon = {
    get dir() {
      if (!dir) throw new Error('the busybox daemon fixture is not set up yet');
      return dir;
    },
    get daemon() {
      if (!daemon) throw new Error('the busybox daemon fixture is not set up yet');
      return daemon;
    },
    run,
    inspect: async (format, name) => (await run('inspect', '-f', format, name)).stdout.trim(),
    startAgain: async () => {
      daemon = await startDaemon({ dir: join(fixture.dir, 'daemon') });
    },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), tempPrefix));
    await mkdir(join(dir, 'daemon'));
    daemon = await startDaemon({ dir: join(dir, 'daemon'), config: {} });
    const loaded = await run('load', '-i', busyboxArchive);
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(async () => {
    if (daemon) {
      const all = await run('ps', '-aq');
      for (const id of all.stdout.split('\n').filter(Boolean)) await run('rm', '-f', id);
      await daemon.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return fixture;
}
