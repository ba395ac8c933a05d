import { sha256Of } from '../core/digest.js';
import { openRegistryDatabase } from '../registry/metadata/sqlite-database.js';

/**
 * Writes `perProject` repositories into each of `projects` straight into a
 * registry's SQLite database (beside the running server: WAL allows it), each
 * with one image manifest tagged `latest` over a shared config and layer, as
 * a push would record them. Pushing 10,000 repositories over HTTP would time
 * the push path, not the pages being measured. Returns the repository count.
 */
export function seedRepositories(
  databasePath: string,
  projects: readonly string[],
  perProject: number,
): number {
  const db = openRegistryDatabase(databasePath);
  try {
    const now = Date.now();
    const config = Buffer.from(
      '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
    const layer = { digest: sha256Of('seeded layer'), size: 2_000_000 };
    const configDigest = sha256Of(config);
    const insertBlob = db.prepare(
      `INSERT INTO blobs (digest, size, state, touched_at) VALUES (?, ?, 'present', ?) ON CONFLICT DO NOTHING`,
    );
    const insertRepository = db.prepare('INSERT INTO repositories (name, created_at) VALUES (?, ?)');
    const link = db.prepare(
      'INSERT INTO repository_blobs (repository_id, digest, linked_at) VALUES (?, ?, ?)',
    );
    const insertManifest = db.prepare(
      `INSERT INTO manifests (repository_id, digest, media_type, content, created_at)
       VALUES (?, ?, 'application/vnd.oci.image.manifest.v1+json', ?, ?)`,
    );
    const reference = db.prepare(
      `INSERT INTO manifest_references (repository_id, manifest_digest, kind, child_digest) VALUES (?, ?, 'blob', ?)`,
    );
    const tag = db.prepare(
      `INSERT INTO tags (repository_id, name, manifest_digest, updated_at) VALUES (?, 'latest', ?, ?)`,
    );
    let count = 0;
    db.transaction(() => {
      insertBlob.run(configDigest, config.length, now);
      insertBlob.run(layer.digest, layer.size, now);
      for (const project of projects) {
        for (let i = 0; i < perProject; i++) {
          const name = `${project}/service-${String(i).padStart(5, '0')}`;
          // Each repository's manifest differs (an annotation), as real ones do.
          const manifest = Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              config: {
                mediaType: 'application/vnd.oci.image.config.v1+json',
                digest: configDigest,
                size: config.length,
              },
              layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
              annotations: { 'org.opencontainers.image.title': name },
            }),
          );
          const digest = sha256Of(manifest);
          const id = Number(insertRepository.run(name, now).lastInsertRowid);
          insertManifest.run(id, digest, manifest, now - i * 1000);
          for (const blob of [configDigest, layer.digest]) {
            link.run(id, blob, now);
            reference.run(id, digest, blob);
          }
          tag.run(id, digest, now - i * 1000);
          count++;
        }
      }
    })();
    return count;
  } finally {
    db.close();
  }
}
