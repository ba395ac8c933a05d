import { request } from 'node:http';
import { runCommand } from '../../core/exec.js';
import { dockerCli } from '../../testing/paths.js';
import { type BigImage, makeBigImage } from '../fixtures/big-image.js';
import { podmanBinary } from '../podman.js';
import { timeCommand } from '../proc.js';
import { interleave } from '../stats.js';
import type { Outcome, RunOptions, Workload } from '../workload.js';

/** Whether the daemon serves a route at all (dockerd answers 404 "page not found" otherwise). */
function hasRoute(socketPath: string, method: string, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, method, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve(!(res.statusCode === 404 && body.includes('page not found'))));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export const imageLoad: Workload = {
  id: 'image-load',
  title: 'load a ~200 MB, 4-layer docker-save archive (image removed between runs)',
  target: '≤ 1.0× dockerd 20.10; unpacking a layer no slower than GNU tar',
  quick: false,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome | { notYet: string }> {
    const berthd = await peers.berthd();
    const docker = dockerCli();
    if (!docker) return { notYet: 'no Docker CLI on this machine' };
    if (!(await hasRoute(berthd.socket, 'GET', '/v1.41/images/json'))) {
      return { notYet: 'the image service (issue 3) is not wired into berthd yet' };
    }
    const dockerd = await peers.dockerd();
    const podman = podmanBinary() ? await peers.podman() : undefined;
    let image: BigImage | undefined;
    try {
      image = await makeBigImage();
      const archive = image.archive;
      const ref = image.reference;
      const viaDocker = (host: string) => async () => {
        await runCommand(docker, ['-H', host, 'rmi', '-f', ref]).catch(() => {});
        return timeCommand(docker, ['-H', host, 'load', '-q', '-i', archive]);
      };
      const subjects = [{ tool: 'docker → berthd', once: viaDocker(berthd.host) }];
      if (dockerd) subjects.push({ tool: 'docker → dockerd', once: viaDocker(dockerd.host) });
      if (podman) {
        subjects.push({
          tool: 'podman',
          once: async () => {
            await runCommand('podman', [...podman.args, 'rmi', '-f', ref]).catch(() => {});
            return timeCommand('podman', [...podman.args, 'load', '-q', '-i', archive]);
          },
        });
      }
      const samples = await interleave(subjects, runs, warmup);
      return {
        measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
        comparisons: [
          ...(dockerd
            ? [{ numerator: 'docker → berthd', denominator: 'docker → dockerd', target: 1.0 }]
            : []),
          ...(podman ? [{ numerator: 'docker → berthd', denominator: 'podman' }] : []),
        ],
        notes: [`archive: ${(image.sizeBytes / 2 ** 20).toFixed(0)} MiB, 4 layers`],
      };
    } finally {
      await image?.cleanup();
    }
  },
};
