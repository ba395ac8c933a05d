import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorKind, isKind } from '../core/errors.js';
import { type MetadataFixture, manifestOf, openTestStore } from './testing.js';

const kind = (k: ErrorKind) => (err: unknown) => isKind(err, k);

describe('image records', () => {
  let fx: MetadataFixture;
  before(async () => {
    fx = await openTestStore();
  });
  after(() => fx.cleanup());

  it('creates, gets, lists and deletes', () => {
    const { images } = fx.store;
    const created = images.create({
      name: 'docker.io/library/alpine:3',
      target: manifestOf('alpine'),
      labels: { 'org.opencontainers.image.title': 'alpine' },
    });
    assert.equal(created.createdAt.getTime(), fx.clock.now);
    assert.deepEqual(images.get('docker.io/library/alpine:3'), created);
    assert.deepEqual(
      images.list().map((image) => image.name),
      ['docker.io/library/alpine:3'],
    );
    images.delete('docker.io/library/alpine:3');
    assert.throws(() => images.get('docker.io/library/alpine:3'), kind(ErrorKind.NotFound));
    assert.throws(() => images.delete('docker.io/library/alpine:3'), kind(ErrorKind.NotFound));
  });

  it('refuses a name that exists, and invalid targets', () => {
    const { images } = fx.store;
    images.create({ name: 'docker.io/library/debian:12', target: manifestOf('debian') });
    assert.throws(
      () => images.create({ name: 'docker.io/library/debian:12', target: manifestOf('other') }),
      kind(ErrorKind.AlreadyExists),
    );
    const bad = { ...manifestOf('x'), digest: 'sha256:nope' as const };
    assert.throws(() => images.create({ name: 'x', target: bad }), kind(ErrorKind.InvalidArgument));
    assert.throws(
      () => images.create({ name: '', target: manifestOf('x') }),
      kind(ErrorKind.InvalidArgument),
    );
  });

  it('updates the fields named by field paths', () => {
    const { images } = fx.store;
    const name = 'docker.io/library/redis:7';
    images.create({ name, target: manifestOf('redis'), labels: { a: '1', b: '2' } });
    fx.clock.now += 1000;
    const relabelled = images.update({ name, labels: { b: '3', c: '4' } }, ['labels.b', 'labels.a']);
    assert.deepEqual(relabelled.labels, { b: '3' });
    assert.equal(relabelled.updatedAt.getTime() - relabelled.createdAt.getTime(), 1000);
    const retargeted = images.update({ name, target: manifestOf('redis-2') }, ['target']);
    assert.equal(retargeted.target.digest, manifestOf('redis-2').digest);
    assert.deepEqual(retargeted.labels, { b: '3' });
    const replaced = images.update({ name, target: manifestOf('redis-3'), labels: { z: '9' } });
    assert.deepEqual(replaced.labels, { z: '9' });
    assert.throws(() => images.update({ name }, ['target']), kind(ErrorKind.InvalidArgument));
    assert.throws(() => images.update({ name: 'missing', labels: {} }, ['labels']), kind(ErrorKind.NotFound));
  });

  it('filters by name, target digest and labels', () => {
    const { images } = fx.store;
    const shared = manifestOf('shared');
    images.create({ name: 'docker.io/library/one:1', target: shared, labels: { tier: 'web' } });
    images.create({ name: 'docker.io/library/two:1', target: shared, labels: { tier: 'db' } });
    const names = (filter: Parameters<typeof images.list>[0]) => images.list(filter).map((i) => i.name);
    assert.deepEqual(names({ targetDigest: shared.digest }), [
      'docker.io/library/one:1',
      'docker.io/library/two:1',
    ]);
    assert.deepEqual(names({ targetDigest: shared.digest, labels: { tier: 'db' } }), [
      'docker.io/library/two:1',
    ]);
    assert.deepEqual(names({ labels: { tier: true }, name: 'docker.io/library/one:1' }), [
      'docker.io/library/one:1',
    ]);
  });

  it('drops the references an image held when it is deleted', () => {
    const { images, refs } = fx.store;
    const name = 'docker.io/library/held:1';
    images.create({ name, target: manifestOf('held') });
    refs.addContent({ kind: 'image', id: name }, [manifestOf('config').digest]);
    images.delete(name);
    assert.deepEqual(refs.listContent({ kind: 'image', id: name }), []);
  });
});
