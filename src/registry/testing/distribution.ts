import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Debian's CNCF Distribution binary, used as a foreign registry in tests. */
export const DISTRIBUTION_BIN = '/usr/bin/docker-registry';

/** A Distribution registry on a free loopback port with its own storage. */
export interface DistributionProcess {
  /** `127.0.0.1:PORT` */
  address: string;
  child: ChildProcess;
  /** Stops it (SIGKILL when SIGTERM is not enough); storage stays for a restart. */
  stop(): Promise<void>;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  /** Stops it and removes its storage. */
  remove(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/** Whether Distribution is installed. */
export const hasDistribution = () => existsSync(DISTRIBUTION_BIN);

/** Starts Distribution with a temporary config and storage (delete enabled, no auth). */
export async function startDistribution(): Promise<DistributionProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-distribution-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: {level: error}',
      'storage:',
      `  filesystem: {rootdirectory: ${join(dir, 'data')}}`,
      '  delete: {enabled: true}',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const address = `127.0.0.1:${port}`;
  let child!: ChildProcess;
  const start = async () => {
    child = spawn(DISTRIBUTION_BIN, ['serve', config], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      const up = await fetch(`http://${address}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error('docker-registry did not start');
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    address,
    get child() {
      return child;
    },
    stop,
    restart: start,
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
