import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../core/exec.js';
import { dockerCli, fixturesDir } from '../../testing/paths.js';
import { apiRequest, socketOf } from '../api.js';
import { processTree, rssKiB, timeCommand } from '../proc.js';
import { interleave } from '../stats.js';
import type { Comparison, Measurement, Outcome, RunOptions, Workload } from '../workload.js';

const BUSYBOX = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

/** A daemon under test: its API socket, its PID and the directory all its files live in. */
interface Subject {
  tool: string;
  host: string;
  pid: number;
  /** Monitors (conmon, containerd-shim) name this directory on their command lines. */
  dir: string;
}

async function subjects(options: RunOptions, docker: string): Promise<Subject[]> {
  const berthd = await options.peers.berthd();
  const dockerd = await options.peers.dockerd();
  const list: Subject[] = [{ tool: 'berthd', host: berthd.host, pid: berthd.process.pid!, dir: berthd.dir }];
  if (dockerd) {
    const dir = dirname(socketOf(dockerd.host));
    list.push({ tool: 'dockerd', host: dockerd.host, pid: dockerd.process.pid!, dir });
  }
  for (const s of list) await runCommand(docker, ['-H', s.host, 'load', '-q', '-i', BUSYBOX]);
  return list;
}

/**
 * Resident memory of a daemon with everything that serves its containers:
 * its process tree (containerd for dockerd) and every process whose command
 * line names the daemon's directory (conmon, containerd-shim, which leave
 * the tree). The containers' own processes are not counted.
 */
async function daemonRssMiB(subject: Subject): Promise<number> {
  const pids = new Set(await processTree(subject.pid));
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(subject.dir)) pids.add(Number(entry));
  }
  let kib = 0;
  for (const pid of pids) kib += await rssKiB(pid);
  return kib / 1024;
}

async function removeAll(docker: string, host: string): Promise<void> {
  const ids = (await runCommand(docker, ['-H', host, 'ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await runCommand(docker, ['-H', host, 'rm', '-f', ...ids]);
}

const START_COUNT = 50;

export const start50: Workload = {
  id: 'start-50',
  title: `start ${START_COUNT} detached \`sleep\` containers (\`docker run -d\`, one after another): time, memory per container, idle daemon RSS`,
  target: 'memory per container ≤ 0.25× dockerd’s (containerd-shim 13 MiB, conmon 1.9 MiB measured here)',
  quick: false,
  async run(options: RunOptions): Promise<Outcome | { notYet: string }> {
    const docker = dockerCli();
    if (!docker) return { notYet: 'no Docker CLI on this machine' };
    const list = await subjects(options, docker);
    const idle = new Map(list.map((s) => [s.tool, [] as number[]]));
    const perContainer = new Map(list.map((s) => [s.tool, [] as number[]]));
    const round = (s: Subject) => async () => {
      await removeAll(docker, s.host);
      await sleep(500);
      const before = await daemonRssMiB(s);
      let ms = 0;
      for (let i = 0; i < START_COUNT; i++) {
        ms += await timeCommand(docker, [
          '-H',
          s.host,
          'run',
          '-d',
          '--network',
          'none',
          'busybox',
          'sleep',
          '600',
        ]);
      }
      await sleep(500);
      const after = await daemonRssMiB(s);
      idle.get(s.tool)!.push(before);
      perContainer.get(s.tool)!.push((after - before) / START_COUNT);
      await removeAll(docker, s.host);
      return ms;
    };
    try {
      const times = await interleave(
        list.map((s) => ({ tool: `${s.tool}: time to start ${START_COUNT}`, once: round(s) })),
        options.runs,
        options.warmup,
      );
      // Memory of the warm-up round is left out, as its time is.
      const measured = (values: number[]) => values.slice(options.warmup);
      const measurements: Measurement[] = [
        ...[...times].map(([tool, values]) => ({ tool, unit: 'ms' as const, values })),
        ...list.map((s) => ({
          tool: `${s.tool}: memory per container`,
          unit: 'MiB' as const,
          values: measured(perContainer.get(s.tool)!),
        })),
        ...list.map((s) => ({
          tool: `${s.tool}: idle daemon RSS`,
          unit: 'MiB' as const,
          values: measured(idle.get(s.tool)!),
        })),
      ];
      const comparisons: Comparison[] =
        list.length > 1
          ? [
              {
                numerator: `berthd: time to start ${START_COUNT}`,
                denominator: `dockerd: time to start ${START_COUNT}`,
              },
              {
                numerator: 'berthd: memory per container',
                denominator: 'dockerd: memory per container',
                target: 0.25,
              },
              { numerator: 'berthd: idle daemon RSS', denominator: 'dockerd: idle daemon RSS' },
            ]
          : [];
      return {
        measurements,
        comparisons,
        notes: [
          'memory per container = (RSS of the daemon, its children and its monitors with the containers running − RSS before) / containers; the containers’ own `sleep` processes are not counted',
          'dockerd’s figure includes containerd and one containerd-shim-runc-v2 per container; berthd’s includes one conmon per container',
          'idle daemon RSS is taken before each round, with no container left but after the earlier rounds and workloads of this run; the 70 MiB limit is judged on a fresh daemon (idle-rss)',
          `containers run with \`--network none\` so both daemons do the same work (berthd has no bridge network yet)`,
        ],
      };
    } finally {
      for (const s of list) await removeAll(docker, s.host).catch(() => {});
    }
  },
};

const PRESENT = 100;

export const ps100: Workload = {
  id: 'ps-100',
  title: `API latency with ${PRESENT} containers present: \`ps -a\`, \`inspect\`, \`images\``,
  target: '`ps -a` ≤ 1.0× dockerd',
  quick: false,
  async run(options: RunOptions): Promise<Outcome | { notYet: string }> {
    const docker = dockerCli();
    if (!docker) return { notYet: 'no Docker CLI on this machine' };
    const list = await subjects(options, docker);
    try {
      const probes: { tool: string; once: () => Promise<number> }[] = [];
      for (const s of list) {
        const socket = socketOf(s.host);
        await removeAll(docker, s.host);
        const ids: string[] = [];
        for (let i = 0; i < PRESENT; i++) {
          const created = await apiRequest(socket, 'POST', '/v1.41/containers/create', {
            Image: 'busybox',
            Cmd: ['true'],
            Labels: { n: String(i) },
          });
          if (created.status !== 201) throw new Error(`${s.tool}: create: ${created.text}`);
          ids.push((JSON.parse(created.text) as { Id: string }).Id);
        }
        const timed = (path: string) => async () => {
          const response = await apiRequest(socket, 'GET', path);
          if (response.status !== 200) throw new Error(`${s.tool}: GET ${path}: ${response.status}`);
          return response.ms;
        };
        const middle = ids[PRESENT / 2]!;
        probes.push(
          { tool: `${s.tool}: GET /containers/json?all=1`, once: timed('/v1.41/containers/json?all=1') },
          { tool: `${s.tool}: GET /containers/{id}/json`, once: timed(`/v1.41/containers/${middle}/json`) },
          { tool: `${s.tool}: GET /images/json`, once: timed('/v1.41/images/json') },
          {
            tool: `${s.tool}: docker ps -a`,
            once: () => timeCommand(docker, ['-H', s.host, 'ps', '-a']),
          },
        );
      }
      // API calls are short: more samples of each, still interleaved.
      const samples = await interleave(probes, options.runs * 5, options.warmup * 5);
      const comparisons: Comparison[] = [];
      if (list.length > 1) {
        for (const what of [
          'GET /containers/json?all=1',
          'GET /containers/{id}/json',
          'GET /images/json',
          'docker ps -a',
        ]) {
          comparisons.push({
            numerator: `berthd: ${what}`,
            denominator: `dockerd: ${what}`,
            ...(what.includes('containers/json?all') || what === 'docker ps -a' ? { target: 1.0 } : {}),
          });
        }
      }
      return {
        measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
        comparisons,
        notes: [
          `${PRESENT} created (not started) busybox containers in each daemon; API calls timed over the Unix socket, \`docker ps -a\` as a command`,
        ],
      };
    } finally {
      for (const s of list) await removeAll(docker, s.host).catch(() => {});
    }
  },
};
