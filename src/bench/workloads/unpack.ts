import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../core/exec.js';
import { applyLayer } from '../../snapshots/apply.js';
import { buildTar, type EntrySpec } from '../../snapshots/tar/build.js';
import { fixturesDir } from '../../testing/paths.js';
import { makeBigImage } from '../fixtures/big-image.js';
import { timeCommand } from '../proc.js';
import { interleave } from '../stats.js';
import type { Comparison, Measurement, Outcome, RunOptions, Workload } from '../workload.js';

/** Same chunk size as the content store's reads, which feed applyLayer in berthd. */
const READ_CHUNK = 1024 * 1024;

/** GNU tar keeping what a layer apply keeps: numeric owners, modes, xattrs. */
const TAR_FLAGS = ['--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--xattrs-include=*'];

interface LayerFile {
  path: string;
  diffID: string;
}

/** The layer tars of a docker-save archive, bottom first, extracted under `dir`. */
async function archiveLayers(archive: string, dir: string): Promise<LayerFile[]> {
  await runCommand('tar', ['-xf', archive, '-C', dir]);
  const readJson = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8'));
  const [manifest] = (await readJson('manifest.json')) as { Config: string; Layers: string[] }[];
  const config = (await readJson(manifest!.Config)) as { rootfs: { diff_ids: string[] } };
  return manifest!.Layers.map((layer, i) => ({ path: join(dir, layer), diffID: config.rootfs.diff_ids[i]! }));
}

/** Times unpacking `layers` into fresh directories under `scratch`; removal is not timed. */
function timed(scratch: string, unpack: (layer: LayerFile, into: string) => Promise<unknown>) {
  return (layers: LayerFile[]) => async () => {
    const into = await mkdtemp(join(scratch, 'x-'));
    const start = process.hrtime.bigint();
    for (const [i, layer] of layers.entries()) await unpack(layer, join(into, String(i)));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    await rm(into, { recursive: true, force: true });
    return ms;
  };
}

/** A layer like busybox's applets as hard links: 30 small files and 370 links to them. */
async function hardLinkLayer(scratch: string): Promise<LayerFile> {
  const entries: EntrySpec[] = [{ name: 'bin/' }];
  for (let i = 0; i < 30; i++) entries.push({ name: `bin/f${i}`, body: `file ${i}\n`, mode: 0o755 });
  for (let i = 0; i < 370; i++) entries.push({ name: `bin/l${i}`, type: 'link', linkname: `bin/f${i % 30}` });
  const tar = buildTar(entries);
  const path = join(scratch, 'hardlinks.tar');
  await writeFile(path, tar);
  return { path, diffID: `sha256:${createHash('sha256').update(tar).digest('hex')}` };
}

export const layerUnpack: Workload = {
  id: 'layer-unpack',
  title: 'unpack layer tars: Berth’s applyLayer (in berthd’s process) against GNU `tar -xf` / `-xzf`',
  target: 'unpacking a layer is no slower than GNU tar extracting the same tar (≤ 1.0×)',
  quick: false,
  async run({ runs, warmup }: RunOptions): Promise<Outcome> {
    const loadBefore = loadavg()[0]!;
    const scratch = await mkdtemp(join(tmpdir(), 'berth-bench-unpack-'));
    const big = await makeBigImage();
    try {
      const busybox = await archiveLayers(
        join(fixturesDir, 'images', 'busybox.docker-archive.tar'),
        await mkdtemp(join(scratch, 'busybox-')),
      );
      const bigLayers = await archiveLayers(big.archive, await mkdtemp(join(scratch, 'big-')));
      await big.cleanup();
      const berth = (verified: boolean) =>
        timed(scratch, async (layer, into) => {
          await mkdir(into);
          const source = createReadStream(layer.path, { highWaterMark: READ_CHUNK });
          const applied = await applyLayer(into, source, { hash: !verified });
          if (!verified && applied.diffID !== layer.diffID) {
            throw new Error(`${layer.path}: DiffID ${applied.diffID}`);
          }
        });
      const tar = (extract: string) =>
        timed(scratch, async (layer, into) => {
          await mkdir(into);
          await timeCommand('tar', [...TAR_FLAGS, extract, layer.path, '-C', into]);
        });
      // The same layers gzip-compressed, as a pull fetches them: gunzip, hash and unpack.
      const gzipped: LayerFile[] = [];
      for (const layer of bigLayers) {
        await runCommand('gzip', ['-1', '-k', layer.path]);
        gzipped.push({ ...layer, path: `${layer.path}.gz` });
      }
      const sets = [
        { name: 'busybox layer', layers: busybox, extract: '-xf', verified: true },
        {
          name: '30 files, 370 hard links',
          layers: [await hardLinkLayer(scratch)],
          extract: '-xf',
          verified: true,
        },
        { name: '~200 MB image, 4 layers', layers: bigLayers, extract: '-xf', verified: true },
        { name: 'the same 4 layers gzipped', layers: gzipped, extract: '-xzf', verified: false },
      ];
      const measurements: Measurement[] = [];
      const comparisons: Comparison[] = [];
      for (const { name, layers, extract, verified } of sets) {
        const tarTool = `tar ${extract}: ${name}`;
        const subjects = [
          { tool: `applyLayer, hashing the DiffID: ${name}`, once: berth(false)(layers) },
          ...(verified
            ? [{ tool: `applyLayer, blob already verified: ${name}`, once: berth(true)(layers) }]
            : []),
          { tool: tarTool, once: tar(extract)(layers) },
        ];
        const samples = await interleave(subjects, runs, warmup);
        for (const [tool, values] of samples) measurements.push({ tool, unit: 'ms', values });
        for (const berthTool of subjects.slice(0, -1)) {
          comparisons.push({ numerator: berthTool.tool, denominator: tarTool, target: 1.0 });
        }
      }
      return {
        measurements,
        comparisons,
        notes: [
          'applyLayer runs in the harness’s own process, as in berthd; `tar -xf` is timed as a command, so its process start (a few ms) is included',
          'applyLayer also sets overlay whiteouts and refuses traversal and symlink escapes; with "hashing the DiffID" it computes the layer’s sha256 too, which GNU tar never does; sha256 of a large file is about as slow as tar’s whole extract on this CPU',
          '"blob already verified" is how berthd unpacks an uncompressed blob whose content-store digest is its DiffID (docker load); a gzipped layer (a pull) is always hashed after gunzip, against `tar -xzf`, whose gzip runs as a second process',
          // Times here are mostly file creation and CPU shared with whatever else runs: say how busy the machine was.
          `load average (1 min) ${loadBefore.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end, on ${availableParallelism()} cores`,
        ],
      };
    } finally {
      await big.cleanup();
      await rm(scratch, { recursive: true, force: true });
    }
  },
};
