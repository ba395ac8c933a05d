import { busyboxArchive } from '../../testing/paths.js';
import { percentile, REQUEST_KINDS, runSoak, soakProblems } from '../soak.js';
import type { Outcome, RunOptions, Workload } from '../workload.js';

const CLIENTS = 200;
const CONTAINERS = 100;
const DEFAULT_SECONDS = 600;

const WHAT: Record<(typeof REQUEST_KINDS)[number], string> = {
  ps: 'GET /containers/json?all=1',
  inspect: 'GET /containers/{id}/json',
  logs: 'GET /containers/{id}/logs?tail=5',
  stats: 'GET /containers/{id}/stats?stream=false&one-shot=true',
  events: 'GET /events (time to the response headers)',
  start: 'POST /containers/{id}/start',
  stop: 'POST /containers/{id}/stop?t=10',
};

const f1 = (n: number) => (Number.isNaN(n) ? '—' : n.toFixed(1));

export const soak: Workload = {
  id: 'soak',
  title: `Soak: ${CLIENTS} concurrent API clients while ${CONTAINERS} containers are stopped and started without pause`,
  target:
    'no failed request, no container in a wrong state, open descriptors and RSS of berthd flat, nothing left behind (`npm run soak`, 10 minutes)',
  quick: false,
  onlyWhenNamed: true,
  async run({ peers, durationSeconds }: RunOptions): Promise<Outcome> {
    const seconds = durationSeconds ?? DEFAULT_SECONDS;
    const berthd = await peers.berthd();
    const result = await runSoak({
      socket: berthd.socket,
      pid: berthd.process.pid!,
      dir: berthd.dir,
      busyboxArchive,
      clients: CLIENTS,
      containers: CONTAINERS,
      churners: 10,
      durationMs: seconds * 1000,
      warmupMs: Math.min(60_000, seconds * 100),
      sampleEveryMs: 5000,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const problems = soakProblems(result);
    // The daemon's own words about the containers that failed, for whoever investigates.
    for (const id of new Set(
      result.failures.map((f) => /^\w+ ([0-9a-f]{12})/.exec(f)?.[1]).filter(Boolean),
    )) {
      const lines = berthd
        .output()
        .split('\n')
        .filter((l) => l.includes(id!));
      process.stderr.write(`soak: berthd on ${id}:\n${lines.slice(-20).join('\n')}\n`);
    }
    const requests = REQUEST_KINDS.reduce((n, k) => n + result.latencies.get(k)!.length, 0);
    const fds = result.flatness.find((f) => f.what === 'fds')!;
    const rss = result.flatness.find((f) => f.what === 'rssMiB')!;
    return {
      measurements: [],
      comparisons: [],
      checks: [
        { what: `failed requests or wrong states: ${result.failureCount}`, met: result.failureCount === 0 },
        {
          what: `open descriptors of berthd, last-quarter median ${f1(fds.lastQuarterMedian)} against first-quarter ${f1(fds.firstQuarterMedian)} (bound ${f1(fds.bound)})`,
          met: fds.flat,
        },
        {
          what: `RSS of berthd, last-quarter median ${f1(rss.lastQuarterMedian)} MiB against first-quarter ${f1(rss.firstQuarterMedian)} MiB (bound ${f1(rss.bound)} MiB)`,
          met: rss.flat,
        },
        {
          what: `after removing every container: ${result.leftoverProcesses.length} monitor processes and ${result.leftoverMounts.length} mounts left, berthd holds ${result.fdsAfter} descriptors (${result.fdsBefore} before the run)`,
          met:
            result.leftoverProcesses.length === 0 &&
            result.leftoverMounts.length === 0 &&
            result.fdsAfter <= result.fdsBefore + 8,
        },
      ],
      tables: [
        {
          title: `Latency by request type (${requests} requests in ${seconds} s)`,
          header: ['request', 'count', 'p50 ms', 'p99 ms', 'max ms'],
          rows: REQUEST_KINDS.map((k) => {
            const v = result.latencies.get(k)!;
            return [
              `${k}: \`${WHAT[k]}\``,
              String(v.length),
              f1(percentile(v, 50)),
              f1(percentile(v, 99)),
              f1(v.length ? Math.max(...v) : Number.NaN),
            ];
          }),
        },
        {
          title: 'berthd over the run (one sample a minute of those taken every 5 s)',
          header: ['at s', 'open descriptors', 'RSS MiB', 'containers running'],
          rows: result.samples
            .filter((_, i) => i % 12 === 0 || i === result.samples.length - 1)
            .map((s) => [(s.at / 1000).toFixed(0), String(s.fds), f1(s.rssMiB), String(s.running)]),
        },
      ],
      notes: [
        `${CLIENTS} clients, each with its own keep-alive connection, in equal shares: \`ps -a\`, inspect, logs, one-shot stats of a random container (a pause of 0.5–1.5 s after each answer), and event streams (each bounded by \`until\` 5 s ahead); ${result.eventsSeen} events received`,
        `10 workers stop and start ${CONTAINERS} busybox containers (a shell printing a line a second, on the default bridge) one after another: ${result.cycles} stop/start cycles; after each start the container must inspect as running, after each stop as exited with code 0`,
        `flat = judged on the samples after a warm-up (the first tenth of the run, at most 60 s) and after every container has started once (here at ${(result.steadyFromMs / 1000).toFixed(0)} s): the median of the last quarter ≤ 1.25 × the first quarter’s median + 32; a leak check, not a speed test`,
        ...(problems.length ? [`problems: ${problems.join('; ')}`] : []),
      ],
    };
  },
};
