import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import { type MetadataFixture, openTestStore } from './testing.js';

const kind = (k: ErrorKind) => (err: unknown) => isKind(err, k);

describe('leases', () => {
  let fx: MetadataFixture;
  before(async () => {
    fx = await openTestStore();
  });
  after(() => fx.cleanup());

  it('creates with a generated id or a given one, and refuses duplicates', () => {
    const { leases } = fx.store;
    const generated = leases.create();
    assert.match(generated.id, /^[a-z0-9]+-[a-f0-9]{12}$/);
    assert.equal(generated.expiresAt, undefined);
    const named = leases.create({ id: 'pull-1', ttlMs: 60_000, labels: { purpose: 'pull' } });
    assert.equal(named.expiresAt?.getTime(), fx.clock.now + 60_000);
    assert.throws(() => leases.create({ id: 'pull-1' }), kind(ErrorKind.AlreadyExists));
    assert.throws(() => leases.create({ ttlMs: 0 }), kind(ErrorKind.InvalidArgument));
    assert.deepEqual(
      leases.list({ labels: { purpose: 'pull' } }).map((lease) => lease.id),
      ['pull-1'],
    );
  });

  it('holds content and snapshots, and lets them go when deleted', () => {
    const { leases, refs } = fx.store;
    const lease = leases.create({ id: 'build-1' });
    const layer = sha256Of('layer');
    leases.addResource(lease.id, { kind: 'content', digest: layer });
    leases.addResource(lease.id, { kind: 'content', digest: layer });
    leases.addResource(lease.id, { kind: 'snapshot', snapshotter: 'overlayfs', key: 'build-1/rootfs' });
    assert.deepEqual(leases.listResources(lease.id), [
      { kind: 'content', digest: layer },
      { kind: 'snapshot', snapshotter: 'overlayfs', key: 'build-1/rootfs' },
    ]);
    assert.deepEqual(refs.contentOwners(layer), [{ kind: 'lease', id: 'build-1' }]);
    leases.deleteResource(lease.id, { kind: 'content', digest: layer });
    assert.equal(leases.listResources(lease.id).length, 1);
    leases.delete(lease.id);
    assert.deepEqual(refs.listSnapshots({ kind: 'lease', id: 'build-1' }), []);
    assert.throws(() => leases.get('build-1'), kind(ErrorKind.NotFound));
    assert.throws(
      () => leases.addResource('build-1', { kind: 'content', digest: layer }),
      kind(ErrorKind.NotFound),
    );
  });

  it('rejects resources that are not valid digests', () => {
    const { leases } = fx.store;
    leases.create({ id: 'strict' });
    const resource = { kind: 'content', digest: 'sha256:xyz' } as const;
    assert.throws(() => leases.addResource('strict', resource), kind(ErrorKind.InvalidArgument));
  });

  it('deletes expired leases only', () => {
    const { leases } = fx.store;
    leases.create({ id: 'short', ttlMs: 1000 });
    leases.create({ id: 'long', ttlMs: 5000 });
    fx.clock.now += 1000;
    assert.deepEqual(leases.deleteExpired(fx.clock.now), ['short']);
    assert.ok(leases.get('long'));
  });
});
