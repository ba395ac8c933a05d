/**
 * Pull and push of the ~200 MB, 4-layer image through a local CNCF
 * Distribution registry: berthd and dockerd (both driven by the docker
 * CLI) and podman, beside the floor of what the work costs with
 * command-line tools (every layer fetched with curl, hashed and unpacked by
 * gunzip | tar, all layers in parallel).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../core/exec.js';
import {
  type DistributionRegistry,
  distributionBinary,
  startDistributionRegistry,
} from '../../testing/distribution-registry.js';
import { dockerCli } from '../../testing/paths.js';
import { makeBigImage } from '../fixtures/big-image.js';
import type { PeerPodman } from '../podman.js';
import { podmanBinary } from '../podman.js';
import { timeCommand } from '../proc.js';
import { interleave } from '../stats.js';
import type { Outcome, Peers, RunOptions, Workload } from '../workload.js';

const REPO = 'bench/big:latest';

/** The tools that can take part, and the registry seeded with the image (gzip layers, pushed by skopeo). */
interface Setup {
  docker: string;
  peers: { tool: string; host: string }[];
  podman?: PeerPodman;
  registry: DistributionRegistry;
  cleanup(): Promise<void>;
}

async function setUp(peers: Peers): Promise<Setup | { notYet: string }> {
  const docker = dockerCli();
  if (!docker) return { notYet: 'no Docker CLI on this machine' };
  if (!distributionBinary() || !existsSync('/usr/bin/skopeo')) {
    return { notYet: 'needs docker-registry (CNCF Distribution) and skopeo' };
  }
  const berthd = await peers.berthd();
  const dockerd = await peers.dockerd();
  const podman = podmanBinary() ? await peers.podman() : undefined;
  const image = await makeBigImage();
  const registry = await startDistributionRegistry();
  try {
    // runCommand rejects on a non-zero exit, with skopeo's stderr.
    await runCommand('skopeo', [
      ...['copy', '--dest-tls-verify=false', `docker-archive:${image.archive}`],
      `docker://${registry.host}/${REPO}`,
    ]);
  } catch (err) {
    await registry.stop();
    throw err;
  } finally {
    await image.cleanup();
  }
  return {
    docker,
    peers: [
      { tool: 'docker → berthd', host: berthd.host },
      ...(dockerd ? [{ tool: 'docker → dockerd', host: dockerd.host }] : []),
    ],
    ...(podman ? { podman } : {}),
    registry,
    cleanup: () => registry.stop(),
  };
}

/** The floor: each layer fetched, hashed and unpacked by curl, sha256sum, gunzip and tar, in parallel. */
async function floorOnce(registry: DistributionRegistry): Promise<number> {
  const manifest = (await (
    await fetch(`${registry.url}/v2/bench/big/manifests/latest`, {
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    })
  ).json()) as { layers: { digest: string }[] };
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-floor-'));
  const script = manifest.layers
    .map((layer, i) => {
      const url = `${registry.url}/v2/bench/big/blobs/${layer.digest}`;
      return `(mkdir ${dir}/l${i} && curl -sf ${url} | tee >(sha256sum > ${dir}/l${i}.sum) | gunzip | tar -x -C ${dir}/l${i}) &`;
    })
    .join('\n');
  try {
    return await timeCommand('bash', ['-c', `${script}\nwait`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const imagePull: Workload = {
  id: 'pull',
  title: 'pull a ~200 MB, 4-layer image (gzip) from a local Distribution registry into an empty store',
  target: '≤ 0.7× dockerd 20.10 and ≤ 1.3× the parallel command-line floor',
  quick: false,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome | { notYet: string }> {
    const setup = await setUp(peers);
    if ('notYet' in setup) return setup;
    try {
      const ref = `${setup.registry.host}/${REPO}`;
      const subjects = setup.peers.map(({ tool, host }) => ({
        tool,
        once: async () => {
          await runCommand(setup.docker, ['-H', host, 'rmi', '-f', ref]).catch(() => {});
          return timeCommand(setup.docker, ['-H', host, 'pull', '-q', ref]);
        },
      }));
      const podman = setup.podman;
      if (podman) {
        subjects.push({
          tool: 'podman',
          once: async () => {
            await runCommand('podman', [...podman.args, 'rmi', '-f', ref]).catch(() => {});
            return timeCommand('podman', [...podman.args, 'pull', '-q', '--tls-verify=false', ref]);
          },
        });
      }
      subjects.push({
        tool: 'floor (curl | sha256sum, gunzip | tar, parallel)',
        once: () => floorOnce(setup.registry),
      });
      const samples = await interleave(subjects, runs, warmup);
      const hasDockerd = samples.has('docker → dockerd');
      return {
        measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
        comparisons: [
          ...(hasDockerd
            ? [{ numerator: 'docker → berthd', denominator: 'docker → dockerd', target: 0.7 }]
            : []),
          {
            numerator: 'docker → berthd',
            denominator: 'floor (curl | sha256sum, gunzip | tar, parallel)',
            target: 1.3,
          },
          ...(podman ? [{ numerator: 'docker → berthd', denominator: 'podman' }] : []),
        ],
        notes: ['4 layers of ~50 MiB each, gzip-compressed by skopeo; the image is removed between runs'],
      };
    } finally {
      await setup.cleanup();
    }
  },
};

export const imagePush: Workload = {
  id: 'push',
  title: 'push the ~200 MB, 4-layer image (as pulled) to a fresh local Distribution registry',
  target: '≤ 1.0× dockerd 20.10',
  quick: false,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome | { notYet: string }> {
    const setup = await setUp(peers);
    if ('notYet' in setup) return setup;
    try {
      const source = `${setup.registry.host}/${REPO}`;
      /** Pushes to a registry of its own each time, so no blob is there yet and none can be mounted. */
      const pushOnce =
        (tag: (target: string) => Promise<unknown>, push: (target: string) => Promise<number>) =>
        async () => {
          const fresh = await startDistributionRegistry();
          try {
            const target = `${fresh.host}/${REPO}`;
            await tag(target);
            return await push(target);
          } finally {
            await fresh.stop();
          }
        };
      const subjects = [];
      for (const { tool, host } of setup.peers) {
        await runCommand(setup.docker, ['-H', host, 'pull', '-q', source]);
        subjects.push({
          tool,
          once: pushOnce(
            (target) => runCommand(setup.docker, ['-H', host, 'tag', source, target]),
            (target) => timeCommand(setup.docker, ['-H', host, 'push', '-q', target]),
          ),
        });
      }
      const podman = setup.podman;
      if (podman) {
        await runCommand('podman', [...podman.args, 'pull', '-q', '--tls-verify=false', source]);
        subjects.push({
          tool: 'podman',
          once: pushOnce(
            (target) => runCommand('podman', [...podman.args, 'tag', source, target]),
            (target) => timeCommand('podman', [...podman.args, 'push', '-q', '--tls-verify=false', target]),
          ),
        });
      }
      const samples = await interleave(subjects, runs, warmup);
      return {
        measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
        comparisons: [
          ...(samples.has('docker → dockerd')
            ? [{ numerator: 'docker → berthd', denominator: 'docker → dockerd', target: 1.0 }]
            : []),
          ...(podman ? [{ numerator: 'docker → berthd', denominator: 'podman' }] : []),
        ],
        notes: [
          'berthd pushes the blobs it pulled as they are; dockerd 20.10 re-compresses each layer as it pushes',
        ],
      };
    } finally {
      await setup.cleanup();
    }
  },
};
