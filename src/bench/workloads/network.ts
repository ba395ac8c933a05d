import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../core/exec.js';
import { dockerCli, fixturesDir } from '../../testing/paths.js';
import { interleave } from '../stats.js';
import type { Outcome, RunOptions, Workload } from '../workload.js';

const IPERF = '/usr/bin/iperf3';
/** The host's iperf3 with its libraries, read-only, in a busybox container (Debian has merged /usr). */
const HOST_TOOLS = ['-v', '/usr:/usr:ro', '-v', '/usr/lib:/lib:ro', '-v', '/usr/lib64:/lib64:ro'];

/** One daemon's side of the test: a user network with an iperf3 server on it. */
async function prepare(docker: string, host: string) {
  const name = `bench-tp-${randomBytes(3).toString('hex')}`;
  const cli = (args: string[]) => runCommand(docker, ['-H', host, ...args]);
  await cli(['load', '-q', '-i', join(fixturesDir, 'images', 'busybox.docker-archive.tar')]);
  await cli(['network', 'create', name]);
  await cli(['run', '-d', '--name', name, '--network', name, ...HOST_TOOLS, 'busybox', IPERF, '-s']);
  return {
    /** MB/s received by the server in a 3-second TCP test from a second container. */
    once: async () => {
      const { stdout } = await cli([
        'run',
        '--rm',
        '--network',
        name,
        ...HOST_TOOLS,
        'busybox',
        IPERF,
        '-c',
        name,
        '-t',
        '3',
        '-J',
      ]);
      const report = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } };
      return report.end.sum_received.bits_per_second / 8 / 1e6;
    },
    cleanup: async () => {
      await cli(['rm', '-f', name]).catch(() => {});
      await cli(['network', 'rm', name]).catch(() => {});
    },
  };
}

/** iperf3 between two containers on a user network, berthd against dockerd. */
export const networkThroughput: Workload = {
  id: 'network-throughput',
  title: 'TCP throughput between two containers on a user network (iperf3, 3 s)',
  target: '≥ 0.9× dockerd',
  quick: false,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome | { notYet: string }> {
    const docker = dockerCli();
    if (!docker) return { notYet: 'no Docker CLI on this machine' };
    if (
      !(await access(IPERF).then(
        () => true,
        () => false,
      ))
    )
      return { notYet: 'iperf3 is not installed' };
    const berthd = await prepare(docker, (await peers.berthd()).host);
    const dockerdPeer = await peers.dockerd();
    const dockerd = dockerdPeer ? await prepare(docker, dockerdPeer.host) : undefined;
    try {
      const subjects = [{ tool: 'berthd', once: berthd.once }];
      if (dockerd) subjects.push({ tool: 'dockerd', once: dockerd.once });
      const samples = await interleave(subjects, runs, warmup);
      return {
        measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'MB/s', values })),
        // Higher is better here, so the ratio is dockerd over berthd: ≤ 1/0.9.
        comparisons: dockerd ? [{ numerator: 'dockerd', denominator: 'berthd', target: 1.11 }] : [],
        notes: ['dockerd ÷ berthd: at most 1.11 means berthd reaches at least 0.9× dockerd’s throughput'],
      };
    } finally {
      await berthd.cleanup();
      await dockerd?.cleanup();
    }
  },
};
