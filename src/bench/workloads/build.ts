import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../core/exec.js';
import { dockerCli, fixturesDir } from '../../testing/paths.js';
import { timeCommand } from '../proc.js';
import { interleave } from '../stats.js';
import type { Outcome, RunOptions, Workload } from '../workload.js';

/** The reference multi-stage Dockerfile: two RUNs in a build stage, then the final image's metadata. */
const DOCKERFILE = `FROM busybox AS build
ARG GREETING=hello
RUN mkdir -p /out && echo "$GREETING" > /out/message.txt
RUN for i in 1 2 3 4 5 6 7 8; do echo line $i >> /out/message.txt; done
FROM busybox
COPY --from=build /out/message.txt /app/message.txt
COPY src/ /app/src/
ENV APP_MODE=production
WORKDIR /app
USER nobody
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD cat /app/message.txt
ENTRYPOINT ["cat"]
CMD ["/app/message.txt"]
`;

/** buildah bud on the same context, with a store of its own; returns that store's directory. */
async function addBuildah(
  subjects: { tool: string; once: () => Promise<number> }[],
  context: string,
  archive: string,
): Promise<string | undefined> {
  const buildah = ['/usr/bin/buildah', '/usr/local/bin/buildah'].find((p) => existsSync(p));
  if (!buildah) return undefined;
  const root = await mkdtemp(join(tmpdir(), 'berth-bench-buildah-'));
  const store = ['--root', join(root, 'root'), '--runroot', join(root, 'run'), '--storage-driver', 'vfs'];
  await runCommand(buildah, [...store, 'pull', '-q', `docker-archive:${archive}`]);
  const once = (extra: string[]) => () =>
    timeCommand(buildah, [
      ...store,
      'bud',
      '--isolation',
      'chroot',
      '--layers',
      '--format',
      'docker',
      '-q',
      ...extra,
      '-t',
      'bench-build',
      context,
    ]);
  subjects.push({ tool: 'buildah cold', once: once(['--no-cache']) });
  subjects.push({ tool: 'buildah cached', once: once([]) });
  return root;
}

async function makeContext(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-build-'));
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
  await mkdir(join(dir, 'src'));
  for (let i = 0; i < 20; i++)
    await writeFile(join(dir, 'src', `file${i}.txt`), `content ${i}\n`.repeat(100));
  return dir;
}

/** The same Dockerfile built cold (`--no-cache`) and fully cached, through each daemon's legacy build API. */
export const build: Workload = {
  id: 'build',
  title: 'build a reference multi-stage Dockerfile, cold and fully cached',
  target: 'cold ≤ 0.5× dockerd’s legacy builder; cached ≤ 1.0×',
  quick: false,
  async run({ runs, warmup, peers }: RunOptions): Promise<Outcome | { notYet: string }> {
    const docker = dockerCli();
    if (!docker) return { notYet: 'no Docker CLI on this machine' };
    const berthd = await peers.berthd();
    const dockerd = await peers.dockerd();
    const archive = join(fixturesDir, 'images', 'busybox.docker-archive.tar');
    const context = await makeContext();
    try {
      const env = { ...process.env, DOCKER_BUILDKIT: '0' };
      const hosts = [
        { name: 'berthd', host: berthd.host },
        ...(dockerd ? [{ name: 'dockerd', host: dockerd.host }] : []),
      ];
      const subjects = [];
      for (const { name, host } of hosts) {
        await runCommand(docker, ['-H', host, 'load', '-q', '-i', archive]);
        const once = (extra: string[]) => () =>
          timeCommand(docker, ['-H', host, 'build', '-q', ...extra, '-t', 'bench-build', context], env);
        subjects.push({ tool: `${name} cold`, once: once(['--no-cache']) });
        subjects.push({ tool: `${name} cached`, once: once([]) });
      }
      const buildahRoot = await addBuildah(subjects, context, archive);
      let samples: Map<string, number[]>;
      try {
        samples = await interleave(subjects, runs, warmup);
      } finally {
        if (buildahRoot) await rm(buildahRoot, { recursive: true, force: true });
      }
      return {
        measurements: [...samples].map(([tool, values]) => ({ tool, unit: 'ms', values })),
        comparisons: dockerd
          ? [
              { numerator: 'berthd cold', denominator: 'dockerd cold', target: 0.5 },
              { numerator: 'berthd cached', denominator: 'dockerd cached', target: 1.0 },
              ...(buildahRoot
                ? [
                    { numerator: 'berthd cold', denominator: 'buildah cold' },
                    { numerator: 'berthd cached', denominator: 'buildah cached' },
                  ]
                : []),
            ]
          : [],
        notes: [
          'both daemons are driven by the Docker CLI with DOCKER_BUILDKIT=0 (POST /build); each cold build uses --no-cache',
          'buildah (when installed) runs with its own store in a temp directory: vfs storage driver, chroot isolation, --layers, docker format',
        ],
      };
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  },
};
