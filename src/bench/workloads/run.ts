import { join } from 'node:path';
import { runCommand } from '../../core/exec.js';
import { bin, dockerCli, fixturesDir } from '../../testing/paths.js';
import { timeCommand } from '../proc.js';
import { prepareRuncFloor } from '../runc-floor.js';
import { interleave, summarize } from '../stats.js';
import type { Outcome, RunOptions, Workload } from '../workload.js';

const RUNC_DEFAULT_FLOOR = 'runc alone, prepared bundle (runc spec)';
const BERTHD_SPEC_FLOOR = 'runc alone, prepared bundle (berthd’s spec)';

/** `docker run --rm busybox true` through each daemon, with and without a network. */
export const runTrue: Workload = {
  id: 'run-true',
  title: '`run --rm busybox true` with the Docker CLI (default network and `--network none`)',
  target:
    'Docker CLI → berthd ≤ 0.5× dockerd and within 60 ms of runc alone on a prepared bundle; `berth run` ≤ 1.2× that; networking adds ≤ 30 ms over `--network none`',
  quick: false,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome | { notYet: string }> {
    const docker = dockerCli();
    if (!docker) return { notYet: 'no Docker CLI on this machine' };
    const berthd = await peers.berthd();
    const dockerd = await peers.dockerd();
    const archive = join(fixturesDir, 'images', 'busybox.docker-archive.tar');
    for (const host of [berthd.host, ...(dockerd ? [dockerd.host] : [])]) {
      await runCommand(docker, ['-H', host, 'load', '-q', '-i', archive]);
    }
    const run = (host: string, extra: string[]) => () =>
      timeCommand(docker, ['-H', host, 'run', '--rm', ...extra, 'busybox', 'true']);
    const subjects = [
      { tool: 'docker → berthd', once: run(berthd.host, []) },
      { tool: 'docker → berthd, --network none', once: run(berthd.host, ['--network', 'none']) },
      // The CLI target: Berth's own CLI against the same daemon.
      {
        tool: 'berth → berthd',
        once: () => timeCommand(bin('berth'), ['-H', berthd.host, 'run', '--rm', 'busybox', 'true']),
      },
    ];
    if (dockerd) {
      subjects.push(
        { tool: 'docker → dockerd', once: run(dockerd.host, []) },
        { tool: 'docker → dockerd, --network none', once: run(dockerd.host, ['--network', 'none']) },
      );
    }
    const floor = await prepareRuncFloor(archive);
    const sameSpecFloor = await prepareRuncFloor(archive, 'berthd').catch(async (err: unknown) => {
      await floor.cleanup();
      throw err;
    });
    const samples = await interleave(
      [
        ...subjects,
        { tool: RUNC_DEFAULT_FLOOR, once: floor.once },
        { tool: BERTHD_SPEC_FLOOR, once: sameSpecFloor.once },
      ],
      runs,
      warmup,
    ).finally(() => Promise.all([floor.cleanup(), sameSpecFloor.cleanup()]));
    const median = (tool: string) => summarize(samples.get(tool) ?? []).median;
    const overFloor = median('docker → berthd') - median(RUNC_DEFAULT_FLOOR);
    const overSameSpec = median('docker → berthd') - median(BERTHD_SPEC_FLOOR);
    const networkCost = median('docker → berthd') - median('docker → berthd, --network none');
    return {
      measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
      comparisons: [
        { numerator: 'docker → berthd', denominator: RUNC_DEFAULT_FLOOR },
        { numerator: 'docker → berthd', denominator: BERTHD_SPEC_FLOOR },
        // What Docker's security settings (seccomp above all) cost runc itself.
        { numerator: BERTHD_SPEC_FLOOR, denominator: RUNC_DEFAULT_FLOOR },
        { numerator: 'berth → berthd', denominator: 'docker → berthd', target: 1.2 },
        ...(dockerd
          ? [
              { numerator: 'docker → berthd', denominator: 'docker → dockerd', target: 0.5 },
              {
                numerator: 'docker → berthd, --network none',
                denominator: 'docker → dockerd, --network none',
                target: 0.5,
              },
              // What the bridge costs each daemon, as a ratio over its own --network none.
              { numerator: 'docker → berthd', denominator: 'docker → berthd, --network none' },
              { numerator: 'docker → dockerd', denominator: 'docker → dockerd, --network none' },
            ]
          : [{ numerator: 'docker → berthd', denominator: 'docker → berthd, --network none' }]),
      ],
      notes: [
        'the default-network rows use each daemon’s bridge (berthd: its own bridge, address pool and chains per test daemon)',
        'two runtime floors: runc alone with `runc spec`’s default (no seccomp filter), and with the spec berthd writes for `run --rm --network none busybox true` (Docker’s seccomp profile for three architectures, capabilities, masked paths, its own cgroup), which is what any daemon must have runc run',
      ],
      // The two targets that are differences, not ratios.
      checks: [
        {
          what: `docker → berthd within 60 ms of runc alone on a bundle with runc's default spec: ${overFloor.toFixed(0)} ms over it`,
          met: overFloor <= 60,
        },
        {
          what: `docker → berthd within 60 ms of runc alone on a bundle with berthd's spec for the same container: ${overSameSpec.toFixed(0)} ms over it`,
          met: overSameSpec <= 60,
        },
        {
          what: `networking adds ≤ 30 ms over --network none (docker → berthd): ${networkCost.toFixed(0)} ms`,
          met: networkCost <= 30,
        },
      ],
    };
  },
};
