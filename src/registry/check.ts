/**
 * `berth-registry check [--repair]`: verifies a registry's storage and its SQLite metadata
 * against each other, with the registry stopped (or idle). Every blob file hashes to its
 * name and has a record; every present blob record has its file, of its size; no blob is
 * left `deleting` by an interrupted garbage collection; every manifest's bytes hash to
 * its digest and what it references exists; tags point at manifests; upload sessions have
 * their data, their data has a session, and none is older than the expiry.
 *
 * `repair` removes or corrects only what cannot be needed: files without a record, corrupt
 * blob files and their records, records whose file is gone, sizes, half-collected blobs,
 * orphaned or stale upload sessions. Manifests that lost a blob are reported, not deleted:
 * pushing the image again heals them.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface RegistryProblem {
  area: 'blob' | 'manifest' | 'tag' | 'upload';
  subject: string;
  problem: string;
  /** What --repair did; undefined when left (reported only). */
  repaired?: string;
}

export interface RegistryCheckOptions {
  /** The storage root (blobs/, uploads/). */
  root: string;
  /** The SQLite database. */
  databasePath: string;
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

/** Checks (and with `repair`, repairs) the registry at `options.root`. */
export async function checkRegistry(options: RegistryCheckOptions): Promise<RegistryProblem[]> {
  const problems: RegistryProblem[] = [];
  const repair = options.repair === true;
  const now = options.now ?? Date.now();
  const blobsDir = join(options.root, 'blobs', 'sha256');
  const uploadsDir = join(options.root, 'uploads');
  const blobPath = (digest: string) => {
    const hex = digest.replace(/^sha256:/, '');
    return join(blobsDir, hex.slice(0, 2), hex);
  };
  if ((await fileSize(options.databasePath)) === undefined)
    throw new Error(`no registry database at ${options.databasePath}: is --root (or database.path) right?`);
  const db = new Database(options.databasePath, { fileMustExist: true, readonly: !repair });
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  try {
    const records = new Map(
      (
        db.prepare('SELECT digest, size, state FROM blobs').all() as {
          digest: string;
          size: number;
          state: string;
        }[]
      ).map((r) => [r.digest, r]),
    );
    const forgetBlob = db.transaction((digest: string) => {
      db.prepare('DELETE FROM repository_blobs WHERE digest = ?').run(digest);
      db.prepare('DELETE FROM blobs WHERE digest = ?').run(digest);
    });
    const referenced = (digest: string) =>
      db.prepare('SELECT 1 FROM repository_blobs WHERE digest = ? LIMIT 1').get(digest) !== undefined ||
      db
        .prepare("SELECT 1 FROM manifest_references WHERE kind = 'blob' AND child_digest = ? LIMIT 1")
        .get(digest) !== undefined;

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
            forgetBlob(digest);
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

    // Blob records: present ones have their file, of their size; none is stuck deleting.
    for (const record of records.values()) {
      const size = goodFiles.get(record.digest);
      if (record.state === 'deleting') {
        const problem: RegistryProblem = {
          area: 'blob',
          subject: record.digest,
          problem: 'left deleting by an interrupted garbage collection',
        };
        if (repair) {
          if (size === undefined || !referenced(record.digest)) {
            await rm(blobPath(record.digest), { force: true });
            forgetBlob(record.digest);
            problem.repaired = 'removed';
          } else {
            db.prepare("UPDATE blobs SET state = 'present' WHERE digest = ?").run(record.digest);
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
          forgetBlob(record.digest);
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
          db.prepare('UPDATE blobs SET size = ? WHERE digest = ?').run(size, record.digest);
          problem.repaired = 'size corrected';
        }
        problems.push(problem);
      }
    }

    // Manifests: bytes match the digest, referenced blobs and manifests exist.
    const manifests = db
      .prepare(
        'SELECT r.name AS repository, m.repository_id AS repo, m.digest, m.content FROM manifests m JOIN repositories r ON r.id = m.repository_id',
      )
      .all() as { repository: string; repo: number; digest: string; content: Buffer }[];
    const presentBlob = db.prepare("SELECT 1 FROM blobs WHERE digest = ? AND state = 'present'");
    const hasManifest = db.prepare('SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?');
    const refsOf = db.prepare(
      'SELECT kind, child_digest AS child FROM manifest_references WHERE repository_id = ? AND manifest_digest = ?',
    );
    for (const m of manifests) {
      const subject = `${m.repository}@${m.digest}`;
      if (`sha256:${createHash('sha256').update(m.content).digest('hex')}` !== m.digest)
        problems.push({ area: 'manifest', subject, problem: 'content does not match its digest' });
      for (const ref of refsOf.all(m.repo, m.digest) as { kind: string; child: string }[]) {
        const missing =
          ref.kind === 'blob'
            ? presentBlob.get(ref.child) === undefined || !goodFiles.has(ref.child)
            : hasManifest.get(m.repo, ref.child) === undefined;
        if (missing)
          problems.push({
            area: 'manifest',
            subject,
            problem: `references missing ${ref.kind} ${ref.child}`,
          });
      }
    }

    // Tags point at manifests of their repository.
    const danglingTags = db
      .prepare(
        `SELECT r.name AS repository, t.name AS tag, t.manifest_digest AS digest FROM tags t
         JOIN repositories r ON r.id = t.repository_id
         WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = t.repository_id AND m.digest = t.manifest_digest)`,
      )
      .all() as { repository: string; tag: string; digest: string }[];
    for (const t of danglingTags) {
      const problem: RegistryProblem = {
        area: 'tag',
        subject: `${t.repository}:${t.tag}`,
        problem: `points at missing manifest ${t.digest}`,
      };
      if (repair) {
        db.prepare(
          'DELETE FROM tags WHERE name = ? AND repository_id = (SELECT id FROM repositories WHERE name = ?)',
        ).run(t.tag, t.repository);
        problem.repaired = 'removed';
      }
      problems.push(problem);
    }

    // Upload sessions: record and data together, durable bytes present, not stale.
    const uploads = db.prepare('SELECT id, size, updated_at AS updatedAt FROM uploads').all() as {
      id: string;
      size: number;
      updatedAt: number;
    }[];
    const files = new Set(await readdir(uploadsDir).catch(() => [] as string[]));
    const dropUpload = async (id: string) => {
      await rm(join(uploadsDir, id), { force: true, recursive: true });
      db.prepare('DELETE FROM uploads WHERE id = ?').run(id);
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
  } finally {
    db.close();
  }
  return problems;
}

async function removeInto(problems: RegistryProblem[], path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  const last = problems.at(-1);
  if (last) last.repaired = 'removed';
}
