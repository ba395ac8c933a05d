import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ErrorKind, isKind } from '../core/errors.js';
import { SCHEMA_VERSION } from './schema.js';
import { openMetadataStore } from './store.js';
import { type MetadataFixture, manifestOf, openTestStore } from './testing.js';

describe('metadata store', () => {
  let fx: MetadataFixture;
  before(async () => {
    fx = await openTestStore();
  });
  after(() => fx.cleanup());

  it('creates the schema at the current version, in WAL mode with full sync', () => {
    const db = new Database(join(fx.dir, 'meta', 'berth.db'), { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('keeps records across a reopen', async () => {
    fx.store.images.create({ name: 'docker.io/library/busybox:latest', target: manifestOf('m') });
    fx.store.kv.set('engine', 'id', 'abc');
    const reopened = await openMetadataStore(join(fx.dir, 'meta', 'berth.db'));
    try {
      assert.equal(
        reopened.images.get('docker.io/library/busybox:latest').target.digest,
        manifestOf('m').digest,
      );
      assert.equal(reopened.kv.get('engine', 'id'), 'abc');
    } finally {
      reopened.close();
    }
  });

  it('refuses a database from a newer schema', async () => {
    const path = join(fx.dir, 'newer.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await assert.rejects(openMetadataStore(path), (err) => isKind(err, ErrorKind.FailedPrecondition));
  });

  it('rolls back a transaction that throws', () => {
    assert.throws(() =>
      fx.store.transaction(() => {
        fx.store.images.create({ name: 'docker.io/library/tmp:1', target: manifestOf('t') });
        throw new Error('boom');
      }),
    );
    assert.throws(
      () => fx.store.images.get('docker.io/library/tmp:1'),
      (err) => isKind(err, ErrorKind.NotFound),
    );
  });

  it('stores key/values by namespace', () => {
    const { kv } = fx.store;
    kv.set('network', 'bridge', '{"subnet":"172.17.0.0/16"}');
    kv.set('network', 'bridge', '{"subnet":"172.18.0.0/16"}');
    kv.set('volumes', 'bridge', 'other');
    assert.equal(kv.get('network', 'bridge'), '{"subnet":"172.18.0.0/16"}');
    assert.deepEqual([...kv.list('network')], [['bridge', '{"subnet":"172.18.0.0/16"}']]);
    assert.equal(kv.delete('network', 'bridge'), true);
    assert.equal(kv.delete('network', 'bridge'), false);
    assert.equal(kv.get('network', 'bridge'), undefined);
  });
});
