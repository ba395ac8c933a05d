/**
 * `berth-registry check [--repair]`: verifies a registry's storage and its metadata (SQLite
 * or PostgreSQL) against each other, with the registry stopped (every replica, on
 * PostgreSQL) or idle. Every blob file hashes to its name and has a record; every present
 * blob record has its file, of its size; no blob is left `deleting` by an interrupted
 * garbage collection, nor `pending` (claimed by a push) longer than the upload expiry;
 * every manifest's bytes hash to its digest and what it references exists; tags point at
 * manifests; upload sessions have their data, their data has a session, and none is older
 * than the expiry.
 *
 * `repair` removes or corrects only what cannot be needed: files without a record, corrupt
 * blob files and their records, records whose file is gone, sizes, half-collected blobs,
 * stale pending claims, orphaned or stale upload sessions. Manifests that lost a blob are
 * reported, not deleted: pushing the image again heals them.
 *
 * The queries go through the governance tables' `GovernanceDatabase` handle: written once
 * with `?` placeholders in the SQL both engines accept.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  type GovernanceDatabase,
  postgresGovernanceDatabase,
  sqliteGovernanceDatabase,
} from './governance/database.js';

export interface RegistryProblem {
  area: 'blob' | 'manifest' | 'tag' | 'upload';
  subject: string;
  problem: string;
  /** What --repair did; undefined when left (reported only). */
  repaired?: string;
}

/** Where the metadata lives: `url` (PostgreSQL) when set, else the SQLite file at `path`. */
export interface RegistryDatabaseLocation {
  path: string;
  url?: string;
}

export interface RegistryCheckOptions {
  /** The storage root (blobs/, uploads/). */
  root: string;
  database: RegistryDatabaseLocation;
  repair?: boolean;
  /** Upload sessions idle longer than this are stale. */
  uploadExpiryMs: number;
  now?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const fileSize = (path: string) =>
  stat(path).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );

/** The URL without its password, for messages. */
const shownUrl = (url: string) => url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');

/**
 * Opens an existing registry database for checking (read-only on SQLite unless `writable`).
 * Unlike the server, it creates and migrates nothing: a wrong path or URL is an error.
 */
export async function openRegistryDatabaseForCheck(
  location: RegistryDatabaseLocation,
  writable: boolean,
): Promise<GovernanceDatabase> {
  if (location.url) {
    const db = postgresGovernanceDatabase(location.url);
    try {
      await db.get('SELECT version FROM berth_schema_version');
    } catch (err) {
      await db.close();
      const missing = (err as { code?: string }).code === '42P01';
      throw new Error(
        missing
          ? `no registry tables in the database at ${shownUrl(location.url)}: is database.url right?`
          : `cannot read the registry database at ${shownUrl(location.url)}: ${(err as Error).message}`,
      );
    }
    return db;
  }
  if ((await fileSize(location.path)) === undefined)
    throw new Error(`no registry database at ${location.path}: is --root (or database.path) right?`);
  const raw = new Database(location.path, { fileMustExist: true, readonly: !writable });
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 10000');
  return {
    ...sqliteGovernanceDatabase(raw),
    close: async () => {
      raw.close();
    },
  };
}

/** Checks (and with `repair`, repairs) the registry at `options.root`. */
export async function checkRegistry(options: RegistryCheckOptions): Promise<RegistryProblem[]> {
  const repair = options.repair === true;
  const db = await openRegistryDatabaseForCheck(options.database, repair);
  try {
    return await checkWith(db, options);
  } finally {
    await db.close();
  }
}

async function checkWith(db: GovernanceDatabase, options: RegistryCheckOptions): Promise<RegistryProblem[]> {
  const problems: RegistryProblem[] = [];
  const repair = options.repair === true;
  const now = options.now ?? Date.now();
  const blobsDir = join(options.root, 'blobs', 'sha256');
  const uploadsDir = join(options.root, 'uploads');
  const blobPath = (digest: string) => {
    const hex = digest.replace(/^sha256:/, '');
    return join(blobsDir, hex.slice(0, 2), hex);
  };
  const records = new Map(
    (
      await db.all<{ digest: string; size: number; state: string; touchedAt: number }>(
        'SELECT digest, size, state, touched_at AS "touchedAt" FROM blobs',
      )
    ).map((r) => [r.digest, r]),
  );
  const forgetBlob = (digest: string) =>
    db.transaction(async (tx) => {
      await tx.run('DELETE FROM repository_blobs WHERE digest = ?', [digest]);
      await tx.run('DELETE FROM blobs WHERE digest = ?', [digest]);
    });
  const referenced = async (digest: string) =>
    (await db.get('SELECT 1 FROM repository_blobs WHERE digest = ? LIMIT 1', [digest])) !== undefined ||
    (await db.get("SELECT 1 FROM manifest_references WHERE kind = 'blob' AND child_digest = ? LIMIT 1", [
      digest,
    ])) !== undefined;

  // Blob files: named by their sha256, recorded.
  const goodFiles = new Map<string, number>();
  const corrupt = new Set<string>();
  for (const prefix of await readdir(blobsDir).catch(() => [] as string[])) {
    for (const name of await readdir(join(blobsDir, prefix)).catch(() => [] as string[])) {
      const path = join(blobsDir, prefix, name);
      const digest = `sha256:${name}`;
      if (!HEX64.test(name) || name.slice(0, 2) !== prefix) {
        problems.push({
          area: 'blob',
          subject: `blobs/sha256/${prefix}/${name}`,
          problem: 'not a blob name',
        });
        if (repair) await removeInto(problems, path);
        continue;
      }
      const record = records.get(digest);
      if ((await sha256File(path)) !== name) {
        corrupt.add(digest);
        const problem: RegistryProblem = {
          area: 'blob',
          subject: digest,
          problem: 'content does not match its digest',
        };
        if (repair) {
          await rm(path, { force: true });
          await forgetBlob(digest);
          problem.repaired = 'removed with its record; push the image again';
        }
        problems.push(problem);
        continue;
      }
      if (!record) {
        problems.push({
          area: 'blob',
          subject: digest,
          problem: 'file without a record (a crash between upload and commit)',
        });
        if (repair) await removeInto(problems, path);
        continue;
      }
      goodFiles.set(digest, (await fileSize(path)) ?? 0);
    }
  }

  // Blob records: present ones have their file, of their size; none is stuck deleting. A
  // pending one (a push's claim whose file may not be in place yet) is fine unless stale.
  for (const record of records.values()) {
    const size = goodFiles.get(record.digest);
    if (record.state === 'pending') {
      if (now - record.touchedAt <= options.uploadExpiryMs) continue;
      const problem: RegistryProblem = {
        area: 'blob',
        subject: record.digest,
        problem: `claimed by a push that did not finish (pending since ${new Date(record.touchedAt).toISOString()})`,
      };
      if (repair) {
        await rm(blobPath(record.digest), { force: true });
        await forgetBlob(record.digest);
        problem.repaired = 'removed';
      }
      problems.push(problem);
      continue;
    }
    if (record.state === 'deleting') {
      const problem: RegistryProblem = {
        area: 'blob',
        subject: record.digest,
        problem: 'left deleting by an interrupted garbage collection',
      };
      if (repair) {
        if (size === undefined || !(await referenced(record.digest))) {
          await rm(blobPath(record.digest), { force: true });
          await forgetBlob(record.digest);
          problem.repaired = 'removed';
        } else {
          await db.run("UPDATE blobs SET state = 'present' WHERE digest = ?", [record.digest]);
          record.state = 'present';
          problem.repaired = 'kept (still referenced)';
        }
      }
      problems.push(problem);
      continue;
    }
    if (size === undefined) {
      // Records of corrupt files were handled above.
      if (corrupt.has(record.digest)) continue;
      const problem: RegistryProblem = {
        area: 'blob',
        subject: record.digest,
        problem: 'record without its file',
      };
      if (repair) {
        await forgetBlob(record.digest);
        problem.repaired = 'record and links removed; push the image again';
      }
      problems.push(problem);
    } else if (size !== record.size) {
      const problem: RegistryProblem = {
        area: 'blob',
        subject: record.digest,
        problem: `record says ${record.size} bytes, the file has ${size}`,
      };
      if (repair) {
        await db.run('UPDATE blobs SET size = ? WHERE digest = ?', [size, record.digest]);
        problem.repaired = 'size corrected';
      }
      problems.push(problem);
    }
  }

  // Manifests: bytes match the digest, referenced blobs and manifests exist.
  const manifests = await db.all<{ repository: string; repo: number; digest: string; content: Buffer }>(
    'SELECT r.name AS repository, m.repository_id AS repo, m.digest AS digest, m.content AS content FROM manifests m JOIN repositories r ON r.id = m.repository_id',
  );
  for (const m of manifests) {
    const subject = `${m.repository}@${m.digest}`;
    if (`sha256:${createHash('sha256').update(m.content).digest('hex')}` !== m.digest)
      problems.push({ area: 'manifest', subject, problem: 'content does not match its digest' });
    const refs = await db.all<{ kind: string; child: string }>(
      'SELECT kind, child_digest AS child FROM manifest_references WHERE repository_id = ? AND manifest_digest = ?',
      [m.repo, m.digest],
    );
    for (const ref of refs) {
      const missing =
        ref.kind === 'blob'
          ? records.get(ref.child)?.state !== 'present' || !goodFiles.has(ref.child)
          : (await db.get('SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?', [
              m.repo,
              ref.child,
            ])) === undefined;
      if (missing)
        problems.push({
          area: 'manifest',
          subject,
          problem: `references missing ${ref.kind} ${ref.child}`,
        });
    }
  }

  // Tags point at manifests of their repository.
  const danglingTags = await db.all<{ repository: string; tag: string; digest: string }>(
    `SELECT r.name AS repository, t.name AS tag, t.manifest_digest AS digest FROM tags t
     JOIN repositories r ON r.id = t.repository_id
     WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = t.repository_id AND m.digest = t.manifest_digest)`,
  );
  for (const t of danglingTags) {
    const problem: RegistryProblem = {
      area: 'tag',
      subject: `${t.repository}:${t.tag}`,
      problem: `points at missing manifest ${t.digest}`,
    };
    if (repair) {
      await db.run(
        'DELETE FROM tags WHERE name = ? AND repository_id = (SELECT id FROM repositories WHERE name = ?)',
        [t.tag, t.repository],
      );
      problem.repaired = 'removed';
    }
    problems.push(problem);
  }

  // Upload sessions: record and data together, durable bytes present, not stale.
  const uploads = await db.all<{ id: string; size: number; updatedAt: number }>(
    'SELECT id, size, updated_at AS "updatedAt" FROM uploads',
  );
  const files = new Set(await readdir(uploadsDir).catch(() => [] as string[]));
  const dropUpload = async (id: string) => {
    await rm(join(uploadsDir, id), { force: true, recursive: true });
    await db.run('DELETE FROM uploads WHERE id = ?', [id]);
    return 'removed';
  };
  for (const u of uploads) {
    const size = files.has(u.id) ? await fileSize(join(uploadsDir, u.id)) : undefined;
    files.delete(u.id);
    const problem =
      size === undefined
        ? 'session without its data'
        : size < u.size
          ? `holds ${size} bytes, ${u.size} were acknowledged`
          : now - u.updatedAt > options.uploadExpiryMs
            ? `stale (idle since ${new Date(u.updatedAt).toISOString()})`
            : undefined;
    if (problem)
      problems.push({
        area: 'upload',
        subject: u.id,
        problem,
        ...(repair ? { repaired: await dropUpload(u.id) } : {}),
      });
  }
  for (const id of files)
    problems.push({
      area: 'upload',
      subject: id,
      problem: 'data without a session',
      ...(repair ? { repaired: await dropUpload(id) } : {}),
    });
  return problems;
}

async function removeInto(problems: RegistryProblem[], path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  const last = problems.at(-1);
  if (last) last.repaired = 'removed';
}
