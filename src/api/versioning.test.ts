import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, splitVersion, versionError } from './versioning.js';

describe('API version prefixes', () => {
  it('splits /vX.Y from the path and keeps the query', () => {
    assert.deepEqual(splitVersion('/v1.41/containers/json?all=1'), {
      path: '/containers/json?all=1',
      version: '1.41',
    });
    assert.deepEqual(splitVersion('/_ping'), { path: '/_ping', version: undefined });
    assert.deepEqual(splitVersion('/v1.45'), { path: '/', version: '1.45' });
    assert.deepEqual(splitVersion('/volumes/v1.2/x'), { path: '/volumes/v1.2/x', version: undefined });
  });
  it('compares numerically, not as text', () => {
    assert.ok(compareVersions('1.9', '1.10') < 0);
    assert.equal(versionError('1.24'), undefined);
    assert.equal(versionError('1.45'), undefined);
    assert.match(versionError('1.46') ?? '', /too new/);
    assert.match(versionError('1.23') ?? '', /too old/);
  });
});
