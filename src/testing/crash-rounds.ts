/**
 * Crash rounds against a test berthd: start a client command, kill -9 berthd after a
 * random delay, restart it, let the test remove what the command made, and then
 * require that nothing leaked on the host (src/testing/leaks.ts) and that the stopped
 * store passes `berth system check`. BERTH_CRASH_ITERATIONS sets the rounds per operation.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, type TestDaemon, waitExit } from './daemon.js';
import { type DistributionRegistry, startDistributionRegistry } from './distribution-registry.js';
import {
  diffOwned,
  type LeakSnapshot,
  leakCount,
  rootsOfDaemon,
  snapshotOwned,
  trackContainerIds,
} from './leaks.js';
import { bin, busyboxArchive, dockerCli } from './paths.js';
import { type RunResult, runCommand } from './run.js';

/** Rounds per operation: a handful in CI, BERTH_CRASH_ITERATIONS=50 for the nightly run. */
export const crashIterations = Number(process.env.BERTH_CRASH_ITERATIONS) || 3;

export interface CrashRound {
  /** The docker CLI arguments of the operation to interrupt. */
  args: string[];
  /** Upper bound of the random delay before the kill. */
  maxDelayMs: number;
  /** Removes what the operation may have made (through the API, on the restarted daemon). */
  cleanup?: () => Promise<void>;
  env?: NodeJS.ProcessEnv;
}

export interface CrashStats {
  kills: number;
  /** Kills that landed while the client was still waiting for its answer. */
  midOperation: number;
  leaks: Partial<LeakSnapshot>[];
}

export class CrashDaemon {
  readonly stats: CrashStats = { kills: 0, midOperation: 0, leaks: [] };
  private readonly seenContainers = new Set<string>();
  private constructor(
    private current: TestDaemon,
    readonly dir: string,
  ) {}

  static async start(dir: string, config: Record<string, unknown> = {}): Promise<CrashDaemon> {
    await mkdir(dir, { recursive: true });
    return new CrashDaemon(await startDaemon({ dir, config }), dir);
  }

  get daemon(): TestDaemon {
    return this.current;
  }

  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
    return runCommand(dockerCli()!, ['-H', this.current.host, ...args], {
      timeoutMs: 120_000,
      ...(env ? { env } : {}),
    });
  }

  /** `berth system check` on the stopped store. */
  check(): Promise<RunResult> {
    return runCommand(process.execPath, [
      bin('berth'),
      'system',
      'check',
      '--data-root',
      this.current.dataRoot,
      '--pidfile',
      this.current.pidfile,
    ]);
  }

  async owned(): Promise<LeakSnapshot> {
    return snapshotOwned(await rootsOfDaemon(this.current), this.seenContainers);
  }

  /** One round: kill -9 during `round.args`, restart, clean up, no leaks, a clean store. */
  async crashDuring(round: CrashRound): Promise<void> {
    const before = await this.owned();
    const tracker = trackContainerIds(this.current.dataRoot, this.seenContainers);
    const client = spawn(dockerCli()!, ['-H', this.current.host, ...round.args], {
      stdio: 'ignore',
      ...(round.env ? { env: round.env } : {}),
    });
    const clientExit = new Promise((resolve) =>
      client.exitCode !== null ? resolve(null) : client.once('exit', resolve),
    );
    await sleep(Math.floor(Math.random() * round.maxDelayMs));
    if (client.exitCode === null) this.stats.midOperation++;
    this.current.process.kill('SIGKILL');
    this.stats.kills++;
    await waitExit(this.current.process);
    await clientExit;
    // The restarted daemon settles what the crash left (leases, ingest, half-made records).
    this.current = await startDaemon({ dir: this.dir });
    await round.cleanup?.();
    tracker.stop();
    const diff = diffOwned(before, await this.owned());
    if (leakCount(diff) > 0) this.stats.leaks.push(diff);
    assert.equal(
      leakCount(diff),
      0,
      `leaked after a crash during ${round.args.join(' ')}: ${JSON.stringify(diff, null, 1)}`,
    );
    await this.current.stop({ keepNetworks: true });
    const r = await this.check();
    assert.equal(r.code, 0, `after a crash during ${round.args.join(' ')}:\n${r.stdout}${r.stderr}`);
    this.current = await startDaemon({ dir: this.dir });
  }

  /** Stops berthd and removes its networks (the caller removes the dir). */
  stop(): Promise<void> {
    return this.current.stop();
  }
}

export interface CrashSuite {
  /** A temp dir for the suite's own files; the daemon lives in its `daemon` folder. */
  readonly dir: string;
  readonly crash: CrashDaemon;
  /** A local Distribution registry the daemon trusts as insecure. */
  readonly registry: DistributionRegistry;
  /** The docker CLI against the daemon, asserting it succeeded; its stdout. */
  ok(args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
}

/**
 * Adds before/after hooks to the calling describe(): a fresh temp dir, a local Distribution
 * registry (`seed` fills it first), and a CrashDaemon trusting it with busybox loaded.
 * Afterwards the round counts are printed, and every container, the daemon, the registry
 * and the dir are removed, even when a test failed.
 */
export function withCrashDaemon(
  tempPrefix: string,
  seed?: (registry: DistributionRegistry) => Promise<void>,
): CrashSuite {
  let dir: string | undefined;
  let crash: CrashDaemon | undefined;
  let registry: DistributionRegistry | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the crash suite is not set up yet');
    return value;
  };
  const suite: CrashSuite = {
    get dir() {
      return ready(dir);
    },
    get crash() {
      return ready(crash);
    },
    get registry() {
      return ready(registry);
    },
    ok: async (args, env) => {
      const r = await suite.crash.cli(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), tempPrefix));
    registry = await startDistributionRegistry();
    await seed?.(registry);
    crash = await CrashDaemon.start(join(dir, 'daemon'), { 'insecure-registries': [registry.host] });
    await suite.ok(['load', '-i', busyboxArchive]);
  });
  after(async () => {
    if (crash) {
      const { kills, midOperation } = crash.stats;
      console.log(`# crash rounds: ${kills} kills, ${midOperation} while the client waited`);
      const all = await crash.cli(['ps', '-aq']);
      for (const id of all.stdout.split('\n').filter(Boolean)) await crash.cli(['rm', '-f', id]);
      await crash.stop();
    }
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return suite;
}
