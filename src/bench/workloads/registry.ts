import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BenchTarget,
  distributionBinary,
  measureRound,
  type RegistryRound,
  startBerthTarget,
  startDistributionTarget,
  writeRandomBlob,
  writeRandomBlobs,
} from '../../registry/bench/side-by-side.js';
import type { Comparison, Measurement, Outcome, RunOptions, Workload } from '../workload.js';

const BIG = 1024 * 2 ** 20;
const SMALL = 10 * 2 ** 20;
const PARALLEL = 50;
const CONNECTIONS = 100;
const LOAD_MS = 5000;
/** Rounds are heavy (about 3 GiB moved per registry): at most this many. */
const MAX_ROUNDS = 5;

const BERTH = 'berth-registry';
const DISTRIBUTION = 'distribution 2.8';

/** Each metric of a round, its unit, and whether a larger value is better. */
const METRICS: {
  label: string;
  unit: Measurement['unit'];
  of: (r: RegistryRound) => number;
  larger: boolean;
}[] = [
  { label: '1 GiB blob upload', unit: 'ms', of: (r) => r.bigUploadMs, larger: false },
  { label: '1 GiB blob download', unit: 'ms', of: (r) => r.bigDownloadMs, larger: false },
  { label: '50 × 10 MiB upload', unit: 'ms', of: (r) => r.parallelUploadMs, larger: false },
  { label: '50 × 10 MiB download', unit: 'ms', of: (r) => r.parallelDownloadMs, larger: false },
  { label: 'manifest GET, 100 connections', unit: 'req/s', of: (r) => r.manifests.perSecond, larger: true },
  { label: 'manifest GET p99', unit: 'ms', of: (r) => r.manifests.p99Ms, larger: false },
  { label: 'peak RSS', unit: 'MiB', of: (r) => r.peakRssMiB, larger: false },
];

/**
 * berth-registry against CNCF Distribution 2.8 on the same machine, one after
 * the other in each round (the order alternates): a 1 GiB blob pushed and
 * pulled, 50 clients on 10 MiB blobs at once, manifest GETs from 100
 * keep-alive connections for 5 s, and each server's peak resident memory.
 */
export const registryThroughput: Workload = {
  id: 'registry',
  title: 'registry: blob throughput, manifest GET req/s and p99 under 100 connections, RSS',
  target:
    'throughput ≥ Distribution 2.8, p99 ≤ Distribution’s, RSS ≤ 150 MB under load; idle with UI ≤ 100 MB',
  quick: false,
  async run({ runs }: RunOptions): Promise<Outcome | { notYet: string }> {
    if (!distributionBinary())
      return { notYet: 'CNCF Distribution (Debian docker-registry) is not installed' };
    const work = await mkdtemp(join(tmpdir(), 'berth-bench-registry-'));
    const rounds: Record<string, RegistryRound[]> = { [BERTH]: [], [DISTRIBUTION]: [] };
    try {
      const big = await writeRandomBlob(join(work, 'big'), BIG);
      const small = await writeRandomBlobs(work, PARALLEL, SMALL);
      const count = Math.max(1, Math.min(runs, MAX_ROUNDS));
      for (let round = 1; round <= count; round++) {
        const starters: [string, () => Promise<BenchTarget | undefined>][] = [
          [BERTH, () => startBerthTarget(join(work, `berth-${round}`))],
          [DISTRIBUTION, () => startDistributionTarget(join(work, `distribution-${round}`))],
        ];
        if (round % 2 === 0) starters.reverse();
        for (const [name, start] of starters) {
          const target = await start();
          if (!target) continue;
          try {
            const options = { round, connections: CONNECTIONS, durationMs: LOAD_MS };
            rounds[name]?.push(await measureRound(target, big, small, options));
          } finally {
            await target.stop();
            await rm(join(work, `${name === BERTH ? 'berth' : 'distribution'}-${round}`), {
              recursive: true,
              force: true,
            });
          }
        }
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const measurements: Measurement[] = [];
    const comparisons: Comparison[] = [];
    for (const metric of METRICS) {
      for (const tool of [BERTH, DISTRIBUTION]) {
        measurements.push({
          tool: `${tool}: ${metric.label}`,
          unit: metric.unit,
          values: (rounds[tool] ?? []).map(metric.of),
        });
      }
      const [ours, theirs] = [`${BERTH}: ${metric.label}`, `${DISTRIBUTION}: ${metric.label}`];
      // Ratios read "below 1 is Berth better": for a rate, Distribution's goes on top.
      const target = metric.label === 'peak RSS' ? {} : { target: 1 };
      comparisons.push(
        metric.larger
          ? { numerator: theirs, denominator: ours, ...target }
          : { numerator: ours, denominator: theirs, ...target },
      );
    }
    return {
      measurements,
      comparisons,
      limits: [{ tool: `${BERTH}: peak RSS`, max: 143, unit: 'MiB' }],
      notes: [
        'blobs move with curl (one process, parallel transfers), manifest GETs come from a Node keep-alive client; client and servers share the 2 cores',
        'the req/s ratio is Distribution / berth-registry, so below 1 means berth-registry serves more',
        '143 MiB is the target’s 150 MB; RSS is sampled every 50 ms over the whole round',
      ],
    };
  },
};
