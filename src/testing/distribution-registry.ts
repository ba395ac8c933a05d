import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { waitExit } from './daemon.js';

/** A running CNCF Distribution registry (Debian's docker-registry) on loopback. */
export interface DistributionRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Debian's Distribution 2.8 binary, when installed. */
export function distributionBinary(): string | undefined {
  return ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry'].find((p) => existsSync(p));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Distribution with its own temp storage on a free loopback port;
 * with `users`, behind htpasswd (bcrypt) Basic auth. stop() removes it all.
 */
export async function startDistributionRegistry(
  options: { users?: Record<string, string> } = {},
): Promise<DistributionRegistry> {
  const binary = distributionBinary();
  if (!binary) throw new Error('docker-registry is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'berth-distribution-'));
  const port = await freePort();
  const auth = options.users
    ? `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${join(dir, 'htpasswd')}\n`
    : '';
  if (options.users) {
    const lines = Object.entries(options.users).map(
      ([user, password]) => `${user}:${bcrypt.hashSync(password, 5)}`,
    );
    await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
  }
  const config = [
    'version: 0.1',
    'log:\n  level: error',
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true`,
    `http:\n  addr: 127.0.0.1:${port}`,
    auth,
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  const child = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([waitExit(child), sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const up = await fetch(`http://${host}/v2/`).then(
      () => true,
      () => false,
    );
    if (up) return { host, url: `http://${host}`, process: child, stop };
    await sleep(100);
  }
  await stop();
  throw new Error('docker-registry did not start');
}
