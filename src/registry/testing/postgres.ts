import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway PostgreSQL cluster on a loopback port. */
export interface TestPostgres {
  /** postgres://berth@127.0.0.1:PORT/postgres */
  url: string;
  stop(): Promise<void>;
}

/** Why PostgreSQL tests must skip (no initdb/pg_ctl installed), or false when they can run. */
export function postgresSkipReason(): string | false {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  const found = versions.some((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')));
  return found ? false : 'PostgreSQL binaries (Debian package postgresql) are not installed';
}

/** The newest Debian PostgreSQL bin directory, or undefined when none is installed. */
export async function postgresBinDir(): Promise<string | undefined> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) return undefined;
  const dir = join('/usr/lib/postgresql', newest, 'bin');
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.includes('initdb') && files.includes('pg_ctl') ? dir : undefined;
}

/**
 * initdb + pg_ctl start on a temp directory and a free port, with trust
 * authentication for user `berth` on loopback only and fsync off (it is
 * thrown away). PostgreSQL refuses to run as root, so as root the cluster
 * runs as the `postgres` user (or `nobody`). Undefined when the binaries are
 * missing; callers skip then.
 */
export async function startTestPostgres(): Promise<TestPostgres | undefined> {
  const bin = await postgresBinDir();
  if (!bin) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'berth-postgres-'));
  const data = join(dir, 'data');
  const owner = process.getuid?.() === 0 ? await unprivilegedUser() : undefined;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const run = (file: string, args: string[]) => runAs(join(bin, file), args, owner);
  let started = false;
  const stop = async () => {
    if (started) await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('initdb', ['-D', data, '-U', 'berth', '--auth=trust', '--locale=C', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    await run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
    started = true;
    return { url: `postgres://berth@127.0.0.1:${port}/postgres`, stop };
  } catch (err) {
    const log = await readFile(join(dir, 'log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
}

async function unprivilegedUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    if (uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error('no unprivileged user (postgres or nobody) to run PostgreSQL as');
}

function runAs(file: string, args: string[], owner: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      // initdb looks up the current user's home; keep it from reading root's.
      env: { ...process.env, ...(owner ? { HOME: '/tmp' } : {}) },
      cwd: '/tmp',
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} exited ${code}: ${stderr}`)),
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

/** Where a test's registry keeps its metadata. */
export type MetadataBackend = 'sqlite' | 'postgres';

/** Both back ends, for tests that run once on each. */
export const METADATA_BACKENDS: readonly MetadataBackend[] = ['sqlite', 'postgres'];

/** Why a test on `backend` must skip, or false. */
export const backendSkipReason = (backend: MetadataBackend): string | false =>
  backend === 'postgres' ? postgresSkipReason() : false;

/** A PostgreSQL for a test on `backend` (none for SQLite); throws when it does not start. */
export async function postgresFor(backend: MetadataBackend): Promise<TestPostgres | undefined> {
  if (backend !== 'postgres') return undefined;
  const postgres = await startTestPostgres();
  if (!postgres) throw new Error('PostgreSQL did not start');
  return postgres;
}
