/**
 * berth-registry and CNCF Distribution (`docker-registry`, 2.8 in Debian)
 * measured the same way: blobs moved by curl (a client cheap enough not to be
 * the bottleneck), manifest GETs from a closed loop of keep-alive connections,
 * and the server's resident memory sampled all along.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bin } from '../../testing/paths.js';
import { startRegistryProcess } from '../testing/process.js';
import { exchange, type LoadResult, loadGet } from './http-load.js';

/** A registry under test. */
export interface BenchTarget {
  name: string;
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/** A blob on disk, ready to push. */
export interface BlobFile {
  file: string;
  digest: string;
  size: number;
}

/** One round's numbers for one registry. */
export interface RegistryRound {
  bigUploadMs: number;
  bigDownloadMs: number;
  parallelUploadMs: number;
  parallelDownloadMs: number;
  manifests: LoadResult;
  /** Peak resident memory over the whole round. */
  peakRssMiB: number;
  /** Peak resident memory in each phase (big-up, big-down, parallel-up, parallel-down, manifests). */
  peakRssByPhase: Record<string, number>;
}

export const distributionBinary = (): string | undefined =>
  ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry'].find((p) => existsSync(p));

/** Starts `berth-registry serve` with auth none on a free loopback port. */
export async function startBerthTarget(root: string): Promise<BenchTarget> {
  const server = await startRegistryProcess(bin('berth-registry'), ['--root', root, '--auth', 'none']);
  return {
    name: 'berth-registry',
    base: `http://${server.address}`,
    pid: server.child.pid ?? 0,
    stop: () => server.stop(),
  };
}

/** Starts Distribution with its filesystem driver under `root`; undefined when it is not installed. */
export async function startDistributionTarget(root: string): Promise<BenchTarget | undefined> {
  const binary = distributionBinary();
  if (!binary) return undefined;
  const port = await freePort();
  await mkdir(root, { recursive: true });
  const config = join(root, 'config.yml');
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(root, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child: ChildProcess = spawn(binary, ['serve', config], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
  };
  for (let i = 0; i < 100; i++) {
    if ((await exchange(`${base}/v2/`, {}).catch(() => undefined))?.status === 200) {
      return { name: 'distribution', base, pid: child.pid ?? 0, stop };
    }
    await sleep(50);
  }
  await stop();
  throw new Error('docker-registry did not start');
}

/** Writes `size` random bytes to `file` in 16 MiB pieces and returns its digest. */
export async function writeRandomBlob(file: string, size: number): Promise<BlobFile> {
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  try {
    for (let done = 0; done < size; ) {
      const piece = randomBytes(Math.min(16 << 20, size - done));
      hash.update(piece);
      await handle.write(piece);
      done += piece.length;
    }
  } finally {
    await handle.close();
  }
  return { file, digest: `sha256:${hash.digest('hex')}`, size };
}

/** Runs one round against `target`: big blob up and down, parallel blobs up and down, manifest load. */
export async function measureRound(
  target: BenchTarget,
  big: BlobFile,
  small: readonly BlobFile[],
  options: { round: number; connections: number; durationMs: number },
): Promise<RegistryRound> {
  let peakRssMiB = 0;
  const peakRssByPhase: Record<string, number> = {};
  let phase = 'start';
  const sampler = setInterval(() => {
    const current = phase;
    void rssMiB(target.pid).then((rss) => {
      peakRssMiB = Math.max(peakRssMiB, rss);
      peakRssByPhase[current] = Math.max(peakRssByPhase[current] ?? 0, rss);
    });
  }, 50);
  const timed = async (name: string, work: () => Promise<void>) => {
    phase = name;
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  try {
    const repo = `bench/r${options.round}`;
    const bigUploadMs = await timed('big-up', () =>
      pushBlobs(target.base, [{ repo: `${repo}-big`, blob: big }]),
    );
    const bigDownloadMs = await timed('big-down', () =>
      pullBlobs(target.base, [{ repo: `${repo}-big`, blob: big }]),
    );
    const jobs = small.map((blob, i) => ({ repo: `${repo}-p${i}`, blob }));
    const parallelUploadMs = await timed('parallel-up', () => pushBlobs(target.base, jobs));
    const parallelDownloadMs = await timed('parallel-down', () => pullBlobs(target.base, jobs));
    phase = 'manifests';
    const manifestUrl = await pushManifest(target.base, `${repo}-manifest`);
    const manifests = await loadGet(
      manifestUrl,
      { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      options.connections,
      options.durationMs,
    );
    await sleep(100);
    return {
      bigUploadMs,
      bigDownloadMs,
      parallelUploadMs,
      parallelDownloadMs,
      manifests,
      peakRssMiB,
      peakRssByPhase,
    };
  } finally {
    clearInterval(sampler);
  }
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** POST a session per blob, then one curl PATCHes all of them in parallel, then PUT each. */
async function pushBlobs(base: string, jobs: readonly { repo: string; blob: BlobFile }[]): Promise<void> {
  const locations = await Promise.all(
    jobs.map(async ({ repo }) => {
      const started = await exchange(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      if (started.status !== 202) throw new Error(`upload POST answered ${started.status}`);
      return new URL(String(started.headers.location), base);
    }),
  );
  const args = ['-s', '-f', '-Z', '--parallel-max', String(jobs.length), '-X', 'PATCH'];
  args.push('-H', 'content-type: application/octet-stream');
  jobs.forEach(({ blob }, i) => {
    args.push('-T', blob.file, '-o', '/dev/null', '-D', '-', String(locations[i]));
  });
  const headers = await curl(args);
  // -D - prints each answer's headers; their order follows completion, so match them by session.
  const next = new Map<string, string>();
  for (const match of headers.matchAll(/^location:\s*(\S+)/gim)) {
    const url = new URL(match[1] ?? '', base);
    next.set(url.pathname, url.href);
  }
  await Promise.all(
    jobs.map(async ({ blob }, i) => {
      const location = new URL(next.get((locations[i] as URL).pathname) ?? String(locations[i]), base);
      location.searchParams.set('digest', blob.digest);
      const put = await exchange(location.href, { method: 'PUT' });
      if (put.status !== 201) throw new Error(`upload PUT answered ${put.status}`);
    }),
  );
}

/** One curl downloads every blob in parallel to /dev/null and checks every size. */
async function pullBlobs(base: string, jobs: readonly { repo: string; blob: BlobFile }[]): Promise<void> {
  const args = ['-s', '-f', '-Z', '--parallel-max', String(jobs.length), '-w', '%{size_download}\\n'];
  for (const { repo, blob } of jobs) args.push('-o', '/dev/null', `${base}/v2/${repo}/blobs/${blob.digest}`);
  const sizes = (await curl(args)).trim().split('\n').map(Number);
  const expected = jobs.reduce((sum, { blob }) => sum + blob.size, 0);
  const got = sizes.reduce((sum, size) => sum + size, 0);
  if (got !== expected) throw new Error(`blob downloads got ${got} of ${expected} bytes`);
}

async function pushManifest(base: string, repo: string): Promise<string> {
  const config = Buffer.from(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  );
  const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const posted = await exchange(`${base}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'content-length': config.length },
    body: config,
  });
  if (posted.status === 202) {
    const location = new URL(String(posted.headers.location), base);
    location.searchParams.set('digest', digest);
    await exchange(location.href, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': config.length },
      body: config,
    });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest, size: config.length },
      layers: [],
    }),
  );
  const put = await exchange(`${base}/v2/${repo}/manifests/latest`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest PUT answered ${put.status}`);
  return `${base}/v2/${repo}/manifests/latest`;
}

function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}: ${err}`)),
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Random blobs for the parallel phase. */
export async function writeRandomBlobs(dir: string, count: number, size: number): Promise<BlobFile[]> {
  const blobs: BlobFile[] = [];
  for (let i = 0; i < count; i++) blobs.push(await writeRandomBlob(join(dir, `small-${i}`), size));
  return blobs;
}
