/**
 * Side-by-side benchmark of berth-registry and CNCF Distribution (the
 * `docker-registry` binary), each on its own loopback port and temp root:
 * one large blob up and down, 50 parallel clients on 10 MiB blobs, and
 * manifest GETs under 100 connections, with each server's peak resident memory.
 *
 *     node dist/registry/bench/compare.js [--size-mib 1024] [--rounds 3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BenchTarget,
  measureRound,
  startBerthTarget,
  startDistributionTarget,
  writeRandomBlob,
  writeRandomBlobs,
} from './side-by-side.js';

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};

async function main(): Promise<void> {
  const sizeMib = arg('size-mib', 1024);
  const rounds = arg('rounds', 3);
  const work = await mkdtemp(join(tmpdir(), 'berth-registry-bench-'));
  try {
    const big = await writeRandomBlob(join(work, 'big.bin'), sizeMib * 2 ** 20);
    const small = await writeRandomBlobs(work, 50, 10 * 2 ** 20);
    for (let round = 1; round <= rounds; round++) {
      const starters: (() => Promise<BenchTarget | undefined>)[] = [
        () => startBerthTarget(join(work, `berth-${round}`)),
        () => startDistributionTarget(join(work, `distribution-${round}`)),
      ];
      // Alternate who goes first, so drift on a shared machine hits both alike.
      if (round % 2 === 0) starters.reverse();
      for (const start of starters) {
        const target = await start();
        if (!target) continue;
        try {
          const r = await measureRound(target, big, small, { round, connections: 100, durationMs: 5000 });
          const mibs = (bytes: number, ms: number) => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;
          console.log(
            [
              `${target.name.padEnd(15)} round ${round}`,
              `${sizeMib} MiB up ${mibs(big.size, r.bigUploadMs)}`,
              `down ${mibs(big.size, r.bigDownloadMs)}`,
              `50x10MiB up ${mibs(500 * 2 ** 20, r.parallelUploadMs)}`,
              `down ${mibs(500 * 2 ** 20, r.parallelDownloadMs)}`,
              `manifest GET ${r.manifests.perSecond.toFixed(0)}/s p99 ${r.manifests.p99Ms.toFixed(1)} ms (${r.manifests.errors} errors)`,
              `peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
            ].join(' | '),
          );
        } finally {
          await target.stop();
          await rm(join(work, `berth-${round}`), { recursive: true, force: true });
          await rm(join(work, `distribution-${round}`), { recursive: true, force: true });
        }
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
