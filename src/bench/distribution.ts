import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** CNCF Distribution 2.8 (Debian's docker-registry) on a loopback port of its own. */
export interface PeerDistribution {
  /** `127.0.0.1:PORT`, as an image reference's registry part. */
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function distributionBinary(): string | undefined {
  return ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry'].find((p) => existsSync(p));
}

/** A loopback port nothing listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function answersV2(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`http://${address}/v2/`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts Distribution with a temporary config and storage root (delete
 * enabled, access log off) on a free loopback port. stop() ends it by PID
 * and removes its directory. undefined when it is not installed.
 */
export async function startPeerDistribution(): Promise<PeerDistribution | undefined> {
  const binary = distributionBinary();
  if (!binary) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'berth-distribution-'));
  const address = `127.0.0.1:${await freeLoopbackPort()}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${address}`,
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['serve', config], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited(child), sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    if (await answersV2(address)) return { address, process: child, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`docker-registry did not answer on ${address} within 10 s`);
}
