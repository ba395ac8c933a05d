import type { TestDaemon } from '../testing/daemon.js';
import type { PeerDockerd } from '../testing/dockerd.js';
import type { PeerBuildah } from './buildah.js';
import type { PeerDistribution } from './distribution.js';
import type { PeerPodman } from './podman.js';

/** The daemons a workload can ask for; each is started on first use and stopped at the end. */
export interface Peers {
  berthd(): Promise<TestDaemon>;
  /** undefined when dockerd is not installed. */
  dockerd(): Promise<PeerDockerd | undefined>;
  /** undefined when podman is not installed. */
  podman(): Promise<PeerPodman | undefined>;
  /** CNCF Distribution 2.8 on a free loopback port; undefined when docker-registry is not installed. */
  distribution(): Promise<PeerDistribution | undefined>;
  /** buildah with its own storage; undefined when it is not installed. */
  buildah(): Promise<PeerBuildah | undefined>;
}

export interface RunOptions {
  runs: number;
  warmup: number;
  peers: Peers;
  /** `--duration SECONDS`, for workloads that run for a time rather than a number of runs. */
  durationSeconds?: number;
}

export interface Measurement {
  tool: string;
  unit: 'ms' | 'MiB' | 'req/s' | 'MB/s';
  values: number[];
}

/** median(numerator) / median(denominator), judged against a target when one exists. */
export interface Comparison {
  numerator: string;
  denominator: string;
  /** Largest acceptable ratio (smaller is better), if the issues set one. */
  target?: number;
}

export interface Outcome {
  measurements: Measurement[];
  comparisons: Comparison[];
  /** Absolute limits, e.g. idle RSS below 70 MiB. */
  limits?: { tool: string; max: number; unit: string }[];
  notes?: string[];
  /** Figures that are not samples of one tool, e.g. latency percentiles by request type. */
  tables?: Table[];
  /** Pass/fail checks of the run (no errors, no leak); a failed one fails the target. */
  checks?: { what: string; met: boolean }[];
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

export interface Workload {
  id: string;
  title: string;
  /** The target in the issues' words, shown beside the numbers. */
  target: string;
  /** Part of `--quick`. */
  quick: boolean;
  /** Left out of a run of every workload; runs only when named (it takes long). */
  onlyWhenNamed?: boolean;
  /** Returns "not yet: why" when Berth lacks the feature. */
  run(options: RunOptions): Promise<Outcome | { notYet: string }>;
}
