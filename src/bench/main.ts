import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { repoRoot } from '../testing/paths.js';
import { type PeerBuildah, startPeerBuildah } from './buildah.js';
import { type PeerDistribution, startPeerDistribution } from './distribution.js';
import { machineFacts } from './machine.js';
import { type PeerPodman, startPeerPodman } from './podman.js';
import { mergeWithPrevious, toReport, type WorkloadReport, writeReport } from './report.js';
import type { Peers, Workload } from './workload.js';
import { build } from './workloads/build.js';
import { ps100, start50 } from './workloads/containers.js';
import { imagePull, imagePush } from './workloads/distribution.js';
import { imageLoad } from './workloads/images.js';
import { networkThroughput } from './workloads/network.js';
import { registryThroughput } from './workloads/registry.js';
import { registryFootprint } from './workloads/registry-footprint.js';
import { runTrue } from './workloads/run.js';
import { soak } from './workloads/soak.js';
import { apiLatency, cliStartup, idleRss } from './workloads/system.js';
import { layerUnpack } from './workloads/unpack.js';

// biome-ignore format: one workload per line, so additions from parallel branches merge cleanly
const WORKLOADS: Workload[] = [
  cliStartup,
  apiLatency,
  idleRss,
  runTrue,
  networkThroughput,
  imageLoad,
  layerUnpack,
  imagePull,
  imagePush,
  registryThroughput,
  registryFootprint,
  start50,
  ps100,
  build,
  soak,
];

interface Args {
  quick: boolean;
  runs: number;
  out: string;
  only: string[];
  durationSeconds?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, runs: 10, out: '', only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--out') args.out = argv[++i] ?? '';
    else if (a === '--duration') args.durationSeconds = Number(argv[++i]);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.only.push(a);
  }
  if (args.quick && !argv.includes('--runs')) args.runs = 2;
  // A quick run is a smoke test: it must not overwrite the committed report.
  args.out ||= args.quick ? resolve(repoRoot, 'dist', 'bench-report') : resolve(repoRoot, 'docs');
  return args;
}

/** Starts each peer on first use; stop() tears down whatever was started, in reverse. */
function createPeers(): Peers & { stop(): Promise<void> } {
  let berthd: Promise<TestDaemon> | undefined;
  let dockerd: Promise<PeerDockerd | undefined> | undefined;
  let podman: Promise<PeerPodman | undefined> | undefined;
  let distribution: Promise<PeerDistribution | undefined> | undefined;
  let buildah: Promise<PeerBuildah | undefined> | undefined;
  return {
    podman: () => (podman ??= startPeerPodman()),
    distribution: () => (distribution ??= startPeerDistribution()),
    buildah: () => (buildah ??= startPeerBuildah()),
    berthd: () => (berthd ??= startDaemon()),
    dockerd: () => (dockerd ??= dockerdBinary() ? startPeerDockerd() : Promise.resolve(undefined)),
    async stop() {
      await (await buildah?.catch(() => undefined))?.stop();
      await (await distribution?.catch(() => undefined))?.stop();
      await (await podman?.catch(() => undefined))?.stop();
      await (await dockerd?.catch(() => undefined))?.stop();
      await (await berthd?.catch(() => undefined))?.stop();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const chosen = WORKLOADS.filter((w) =>
    args.only.length ? args.only.includes(w.id) : !w.onlyWhenNamed && (!args.quick || w.quick),
  );
  const peers = createPeers();
  const onSignal = () => {
    void peers.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const reports: WorkloadReport[] = [];
  try {
    for (const w of chosen) {
      process.stderr.write(`bench: ${w.id} …\n`);
      const loadBefore = loadavg()[0]!;
      const runOptions = {
        runs: args.runs,
        warmup: 1,
        peers,
        ...(args.durationSeconds ? { durationSeconds: args.durationSeconds } : {}),
      };
      const outcome = await w.run(runOptions).catch((err: unknown) => ({
        error: err instanceof Error ? err.message : String(err),
      }));
      const report = {
        ...toReport(w, outcome),
        measuredAt: new Date().toISOString(),
        // Other work on the machine shows in every timing: the 1-minute load, before and after.
        loadAverage: [loadBefore, loadavg()[0]!].map((l) => Math.round(l * 10) / 10),
      };
      reports.push(report);
      const verdict = report.notYet
        ? 'not yet'
        : report.error
          ? `failed: ${report.error}`
          : report.ratios.map((q) => `${q.ratio.toFixed(2)}×`).join(' ') ||
            (report.checks?.every((c) => c.met) ? 'checks met' : 'checks **not met**');
      process.stderr.write(`bench: ${w.id}: ${verdict}\n`);
    }
  } finally {
    await peers.stop();
  }
  // A run of chosen workloads into the committed report updates those and keeps the rest.
  const written = args.only.length
    ? await mergeWithPrevious(
        args.out,
        reports,
        WORKLOADS.map((w) => w.id),
      )
    : reports;
  await writeReport(args.out, await machineFacts(), written, { runs: args.runs, quick: args.quick });
  process.stdout.write(`report written to ${args.out}/benchmarks.md\n`);
  return reports.some((r) => r.error) ? 1 : 0;
}
