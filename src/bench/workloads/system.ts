import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { bin, dockerCli } from '../../testing/paths.js';
import { timeCommand, treeRssMiB } from '../proc.js';
import { interleave } from '../stats.js';
import type { Measurement, Outcome, RunOptions, Workload } from '../workload.js';

function socketOf(host: string): string {
  return host.replace(/^unix:\/\//, '');
}

/** One GET over the Unix socket, timed in milliseconds. */
function timedGet(socketPath: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request({ socketPath, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
    });
    req.on('error', reject);
    req.end();
  });
}

function nodeFloorEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _parsedAtStartUp, ...env } = process.env;
  return env;
}

export const cliStartup: Workload = {
  id: 'cli-startup',
  title: 'CLI start-up: `version` against each CLI’s own daemon',
  target: 'no target of its own; it bounds `berth run` (≤ 1.2× the Docker CLI’s `run` time)',
  quick: true,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome> {
    const berthd = await peers.berthd();
    const dockerd = await peers.dockerd();
    const docker = dockerCli();
    const subjects = [
      { tool: 'berth → berthd', once: () => timeCommand(bin('berth'), ['-H', berthd.host, 'version']) },
      // Node's own start-up (no code), the floor under berth's: without NODE_EXTRA_CA_CERTS,
      // which bin/berth keeps from Node's start-up (src/cli/extra-ca.ts).
      {
        tool: 'node alone (node -e 0)',
        once: () => timeCommand(process.execPath, ['-e', '0'], nodeFloorEnv()),
      },
    ];
    if (docker) {
      subjects.push({
        tool: 'docker → berthd',
        once: () => timeCommand(docker, ['-H', berthd.host, 'version']),
      });
      if (dockerd) {
        subjects.push({
          tool: 'docker → dockerd',
          once: () => timeCommand(docker, ['-H', dockerd.host, 'version']),
        });
      }
    }
    const samples = await interleave(subjects, runs, warmup);
    return {
      measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
      comparisons:
        dockerd && docker ? [{ numerator: 'berth → berthd', denominator: 'docker → dockerd' }] : [],
    };
  },
};

export const apiLatency: Workload = {
  id: 'api-latency-empty',
  title: 'API latency on an empty daemon: GET /info',
  target: 'no target on an empty daemon; `ps -a` with 100 containers must be ≤ 1.0× dockerd (see ps-100)',
  quick: true,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome> {
    const berthd = await peers.berthd();
    const dockerd = await peers.dockerd();
    const subjects = [{ tool: 'berthd', once: () => timedGet(berthd.socket, '/v1.41/info') }];
    if (dockerd)
      subjects.push({ tool: 'dockerd', once: () => timedGet(socketOf(dockerd.host), '/v1.41/info') });
    const samples = await interleave(subjects, runs * 5, warmup * 5);
    return {
      measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
      comparisons: dockerd ? [{ numerator: 'berthd', denominator: 'dockerd' }] : [],
    };
  },
};

export const idleRss: Workload = {
  id: 'idle-rss',
  title: 'Idle daemon resident memory (daemon and its children)',
  target: 'idle berthd below 70 MiB RSS (dockerd + containerd measured here: 110 MiB)',
  quick: true,
  async run({ runs, peers }: RunOptions): Promise<Outcome> {
    const berthd = await peers.berthd();
    const dockerd = await peers.dockerd();
    const measurements: Measurement[] = [{ tool: 'berthd', unit: 'MiB', values: [] }];
    if (dockerd) measurements.push({ tool: 'dockerd + containerd', unit: 'MiB', values: [] });
    await sleep(1000);
    for (let i = 0; i < runs; i++) {
      measurements[0]!.values.push(await treeRssMiB(berthd.process.pid!));
      if (dockerd) measurements[1]!.values.push(await treeRssMiB(dockerd.process.pid!));
      await sleep(200);
    }
    return {
      measurements,
      comparisons: dockerd ? [{ numerator: 'berthd', denominator: 'dockerd + containerd' }] : [],
      limits: [{ tool: 'berthd', max: 70, unit: 'MiB' }],
    };
  },
};
