/**
 * `berth system check`: verifies berthd's stores on disk while the daemon is stopped.
 * It reads the data root directly (content blobs, metadata.db, overlay2/metadata.json,
 * container records) and reports every broken invariant; with `repair` it removes what is
 * orphaned or corrupt and can only be refetched, never anything a record still needs.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { interruptedWrites } from '../engine/leftovers.js';

/** One broken invariant. */
export interface Problem {
  area: 'content' | 'image' | 'snapshot' | 'container';
  subject: string;
  problem: string;
  /** What --repair did about it; undefined when it was left (reported only). */
  repaired?: string;
}

interface SnapshotInfo {
  id: string;
  kind: string;
  parent?: string;
}

interface SnapshotMetadata {
  snapshots: Record<string, SnapshotInfo>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** The chain IDs of a config's diff IDs (the OCI image spec's ChainID). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diff of diffIds) {
    const previous = out.at(-1);
    out.push(
      previous === undefined
        ? diff
        : `sha256:${createHash('sha256').update(`${previous} ${diff}`).digest('hex')}`,
    );
  }
  return out;
}

/** Checks the stores under `dataRoot`; with `repair`, removes what is safe to remove. */
export async function checkStores(dataRoot: string, options: { repair?: boolean } = {}): Promise<Problem[]> {
  const problems: Problem[] = [];
  const repair = options.repair === true;
  const blobs = join(dataRoot, 'content', 'blobs', 'sha256');
  const blobPath = (digest: string) => join(blobs, digest.replace(/^sha256:/, ''));

  // Content: every blob's name is the sha256 of its bytes; nothing is left in ingest.
  const goodBlobs = new Set<string>();
  for (const name of await entries(blobs)) {
    const path = join(blobs, name);
    if (!HEX64.test(name)) {
      problems.push({
        area: 'content',
        subject: name,
        problem: 'not a blob name',
        ...(repair && (await removed(path))),
      });
      continue;
    }
    const actual = await sha256File(path);
    if (actual === name) goodBlobs.add(`sha256:${name}`);
    else
      problems.push({
        area: 'content',
        subject: `sha256:${name}`,
        problem: `content does not match its digest (sha256:${actual.slice(0, 12)}…)`,
        ...(repair && (await removed(path, 'removed; pull or load the image again'))),
      });
  }
  for (const name of await entries(join(dataRoot, 'content', 'ingest'))) {
    problems.push({
      area: 'content',
      subject: `ingest/${name}`,
      problem: 'unfinished write left behind',
      ...(repair && (await removed(join(dataRoot, 'content', 'ingest', name)))),
    });
  }

  // Whole-file writes a crash cut short (berthd removes them when it starts).
  for (const path of await interruptedWrites({ dataRoot })) {
    problems.push({
      area: 'content',
      subject: path,
      problem: 'temp file of an unfinished write',
      ...(repair && (await removed(join(dataRoot, path)))),
    });
  }

  // Snapshots: each parent exists, each has its directory, no directory lacks a record.
  const metadataPath = join(dataRoot, 'overlay2', 'metadata.json');
  const metadata: SnapshotMetadata = (await exists(metadataPath))
    ? (JSON.parse(await readFile(metadataPath, 'utf8')) as SnapshotMetadata)
    : { snapshots: {} };
  const snapshotDirs = join(dataRoot, 'overlay2', 'snapshots');
  const idsInUse = new Set(Object.values(metadata.snapshots).map((s) => s.id));
  for (const [key, info] of Object.entries(metadata.snapshots)) {
    if (info.parent !== undefined && !metadata.snapshots[info.parent])
      problems.push({ area: 'snapshot', subject: key, problem: `parent ${info.parent} is missing` });
    if (!(await exists(join(snapshotDirs, info.id))))
      problems.push({ area: 'snapshot', subject: key, problem: `directory snapshots/${info.id} is missing` });
  }
  for (const dir of await entries(snapshotDirs)) {
    if (!idsInUse.has(dir))
      problems.push({
        area: 'snapshot',
        subject: `snapshots/${dir}`,
        problem: 'directory without a snapshot record',
        ...(repair && (await removed(join(snapshotDirs, dir)))),
      });
  }

  // Images: manifest, config and layers present and intact; each layer's snapshot committed.
  const dbPath = join(dataRoot, 'metadata.db');
  const imageRecords = (await exists(dbPath)) ? readImageRecords(dbPath) : [];
  const imageIds = new Set<string>();
  for (const { name, target } of imageRecords) {
    if (!goodBlobs.has(target)) {
      problems.push({ area: 'image', subject: name, problem: `manifest ${target} is missing or corrupt` });
      continue;
    }
    const manifest = JSON.parse(await readFile(blobPath(target), 'utf8')) as {
      mediaType?: string;
      manifests?: unknown[];
      config?: { digest: string };
      layers?: { digest: string }[];
    };
    // An index names one manifest per platform; only the host's is stored, so none is required.
    if (INDEX_TYPES.has(manifest.mediaType ?? '') || Array.isArray(manifest.manifests)) continue;
    const config = manifest.config?.digest;
    if (!config || !goodBlobs.has(config)) {
      problems.push({ area: 'image', subject: name, problem: `config ${config} is missing or corrupt` });
      continue;
    }
    imageIds.add(config);
    for (const layer of manifest.layers ?? []) {
      if (!goodBlobs.has(layer.digest))
        problems.push({
          area: 'image',
          subject: name,
          problem: `layer ${layer.digest} is missing or corrupt`,
        });
    }
    const diffIds = (
      JSON.parse(await readFile(blobPath(config), 'utf8')) as { rootfs?: { diff_ids?: string[] } }
    ).rootfs?.diff_ids;
    const chain = chainIds(diffIds ?? []);
    chain.forEach((chainId, i) => {
      const snapshot = metadata.snapshots[chainId];
      if (snapshot?.kind !== 'committed')
        problems.push({
          area: 'image',
          subject: name,
          problem: `snapshot of layer ${i + 1} (${chainId}) is missing`,
        });
      else if (i > 0 && snapshot.parent !== chain[i - 1])
        problems.push({
          area: 'snapshot',
          subject: chainId,
          problem: `parent is ${snapshot.parent}, not ${chain[i - 1]}`,
        });
    });
  }

  // Containers: a readable record for its directory, its image and its snapshot present;
  // an active container snapshot has its container.
  const containersDir = join(dataRoot, 'containers');
  const containerIds = new Set<string>();
  for (const id of await entries(containersDir)) {
    const recordPath = join(containersDir, id, 'config.v2.json');
    let record: { Id?: string; Image?: string; SnapshotKey?: string };
    try {
      record = JSON.parse(await readFile(recordPath, 'utf8')) as typeof record;
    } catch {
      problems.push({
        area: 'container',
        subject: id,
        problem: 'directory without a readable config.v2.json',
        ...(repair && (await removed(join(containersDir, id)))),
      });
      continue;
    }
    containerIds.add(id);
    if (record.Id !== id)
      problems.push({ area: 'container', subject: id, problem: `record names ${record.Id}` });
    if (record.Image && !goodBlobs.has(record.Image))
      problems.push({ area: 'container', subject: id, problem: `image ${record.Image} is missing` });
    if (record.SnapshotKey && !metadata.snapshots[record.SnapshotKey])
      problems.push({ area: 'container', subject: id, problem: `snapshot ${record.SnapshotKey} is missing` });
  }
  let metadataChanged = false;
  for (const [key, info] of Object.entries(metadata.snapshots)) {
    const owner = /^container-([0-9a-f]{64})$/.exec(key)?.[1];
    if (info.kind !== 'active' || owner === undefined || containerIds.has(owner)) continue;
    const problem: Problem = {
      area: 'snapshot',
      subject: key,
      problem: 'container snapshot without its container',
    };
    if (repair) {
      await rm(join(snapshotDirs, info.id), { recursive: true, force: true });
      delete metadata.snapshots[key];
      metadataChanged = true;
      problem.repaired = 'removed';
    }
    problems.push(problem);
  }
  if (metadataChanged) await writeFileAtomic(metadataPath, JSON.stringify(metadata, null, 2));
  return problems;
}

async function removed(path: string, what = 'removed'): Promise<{ repaired: string }> {
  await rm(path, { recursive: true, force: true });
  return { repaired: what };
}

function readImageRecords(path: string): { name: string; target: string }[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT name, target_digest AS target FROM images ORDER BY name').all() as {
      name: string;
      target: string;
    }[];
  } finally {
    db.close();
  }
}
