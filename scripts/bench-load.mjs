#!/usr/bin/env node
// Benchmark: `docker load` of a ~200 MB, 4-layer docker-save archive into
// berthd and into a real dockerd, side by side, several rounds. Needs root,
// a build (npm run build), the docker CLI and dockerd.
//   node scripts/bench-load.mjs [rounds]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../dist/testing/daemon.js';
import { startPeerDockerd } from '../dist/testing/dockerd.js';
import { writeLargeDockerArchive } from '../dist/testing/large-archive.js';
import { dockerCli } from '../dist/testing/paths.js';

const rounds = Number(process.argv[2] ?? 3);
const docker = dockerCli();
if (!docker) throw new Error('no docker CLI');

const dir = await mkdtemp(join(tmpdir(), 'berth-bench-'));
const archive = join(dir, 'large.tar');
const made = await writeLargeDockerArchive(archive, {
  layers: 4,
  layerBytes: 50 * 1024 * 1024,
  tag: 'bench/large:1',
});
console.log(`archive: ${(made.size / 1e6).toFixed(1)} MB, 4 layers, image ${made.id.slice(7, 19)}`);

const berthd = await startDaemon();
const dockerd = await startPeerDockerd();
const engines = [
  { name: 'berthd', host: berthd.host },
  { name: 'dockerd', host: dockerd.host },
];

function run(host, ...args) {
  const result = spawnSync(docker, ['-H', host, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const times = Object.fromEntries(engines.map((engine) => [engine.name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const engine of round % 2 === 0 ? engines : [...engines].reverse()) {
      spawnSync('sync');
      const start = process.hrtime.bigint();
      run(engine.host, 'load', '-q', '-i', archive);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      times[engine.name].push(seconds);
      run(engine.host, 'rmi', 'bench/large:1');
      console.log(`round ${round + 1} ${engine.name}: ${seconds.toFixed(2)} s`);
    }
  }
  for (const [name, list] of Object.entries(times)) {
    const sorted = [...list].sort((a, b) => a - b);
    console.log(
      `${name}: median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} s, all ${list.map((t) => t.toFixed(2)).join(' ')}`,
    );
  }
} finally {
  await berthd.stop();
  await dockerd.stop();
  await rm(dir, { recursive: true, force: true });
}
