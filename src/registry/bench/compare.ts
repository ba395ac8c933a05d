/**
 * Side-by-side benchmark of berth-registry and CNCF Distribution (the
 * `docker-registry` binary), each on its own loopback port and temp root:
 * one large blob up and down, 50 parallel clients on 10 MiB blobs, and
 * manifest GETs under 100 connections, with each server's resident memory.
 *
 *     node dist/registry/bench/compare.js [--size-mib 200] [--rounds 3]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bin } from '../../testing/paths.js';
import { startRegistryProcess } from '../testing/process.js';
import { exchange, loadGet, pullBlob, pushBlob } from './http-load.js';

interface Target {
  name: string;
  base: string;
  pid: number;
  stop(): Promise<void>;
}

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};

async function startBerth(root: string): Promise<Target> {
  const server = await startRegistryProcess(bin('berth-registry'), ['--root', root]);
  return {
    name: 'berth-registry',
    base: `http://${server.address}`,
    pid: server.child.pid ?? 0,
    stop: () => server.stop(),
  };
}

async function startDistribution(root: string, port: number): Promise<Target | undefined> {
  const binary = ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry'].find((p) => existsSync(p));
  if (!binary) return undefined;
  const config = join(root, 'config.yml');
  await mkdir(root, { recursive: true });
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(root, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child: ChildProcess = spawn(binary, ['serve', config], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await exchange(`${base}/v2/`, {}).catch(() => undefined))?.status === 200) break;
    await sleep(50);
  }
  return {
    name: 'distribution',
    base,
    pid: child.pid ?? 0,
    async stop() {
      child.kill('SIGTERM');
      await sleep(200);
    },
  };
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function pushImage(target: Target, repo: string): Promise<void> {
  const config = Buffer.from(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  );
  await pushBlob(target.base, repo, config, digestOf(config));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: digestOf(config),
      size: config.length,
    },
    layers: [],
  });
  await exchange(`${target.base}/v2/${repo}/manifests/latest`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: Buffer.from(manifest),
  });
}

async function measure(target: Target, big: { file: string; digest: string; size: number }, round: number) {
  const mib = big.size / 2 ** 20;
  const peak = { all: 0, load: 0, loading: false };
  const sampler = setInterval(async () => {
    const rss = await rssMiB(target.pid);
    peak.all = Math.max(peak.all, rss);
    if (peak.loading) peak.load = Math.max(peak.load, rss);
  }, 100);
  const up = await pushBlob(target.base, `bench/big${round}`, { file: big.file }, big.digest);
  const down = await pullBlob(target.base, `bench/big${round}`, big.digest, big.size);
  const blobs = Array.from({ length: 50 }, () => randomBytes(10 * 2 ** 20));
  let started = performance.now();
  await Promise.all(blobs.map((b, i) => pushBlob(target.base, `bench/par${round}-${i}`, b, digestOf(b))));
  const parUp = (performance.now() - started) / 1000;
  started = performance.now();
  await Promise.all(
    blobs.map((b, i) => pullBlob(target.base, `bench/par${round}-${i}`, digestOf(b), b.length)),
  );
  const parDown = (performance.now() - started) / 1000;
  await pushImage(target, 'bench/manifest');
  const accept = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };
  peak.loading = true;
  const load = await loadGet(`${target.base}/v2/bench/manifest/manifests/latest`, accept, 100, 5000);
  clearInterval(sampler);
  console.log(
    [
      `${target.name.padEnd(15)} round ${round}`,
      `blob up ${(mib / up).toFixed(0)} MiB/s`,
      `down ${(mib / down).toFixed(0)} MiB/s`,
      `50x10MiB up ${(500 / parUp).toFixed(0)} MiB/s`,
      `down ${(500 / parDown).toFixed(0)} MiB/s`,
      `manifest GET ${load.perSecond.toFixed(0)}/s p50 ${load.p50Ms.toFixed(1)} ms p99 ${load.p99Ms.toFixed(1)} ms (${load.errors} errors)`,
      `peak RSS ${peak.all.toFixed(0)} MiB (manifest load ${peak.load.toFixed(0)} MiB)`,
    ].join(' | '),
  );
}

async function main(): Promise<void> {
  const sizeMib = arg('size-mib', 200);
  const rounds = arg('rounds', 3);
  const work = await mkdtemp(join(tmpdir(), 'berth-registry-bench-'));
  try {
    const bytes = randomBytes(sizeMib * 2 ** 20);
    const big = { file: join(work, 'big.bin'), digest: digestOf(bytes), size: bytes.length };
    await writeFile(big.file, bytes);
    for (let round = 1; round <= rounds; round++) {
      // One server at a time, each stopped whatever happens.
      const starters = [
        () => startBerth(join(work, `berth-${round}`)),
        () => startDistribution(join(work, `distribution-${round}`), 15_000 + round),
      ];
      for (const start of starters) {
        const target = await start();
        if (target) await measure(target, big, round).finally(() => target.stop());
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
