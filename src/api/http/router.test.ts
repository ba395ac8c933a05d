import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from './router.js';

describe('Router', () => {
  const r = new Router<string>();
  r.add('GET', '/images/json', 'list');
  r.add('GET', '/images/:name/json', 'inspect');
  r.add('DELETE', '/images/:name', 'delete');
  r.add('GET', '/containers/:id/archive', 'archive');
  r.add('GET', '/distribution/*', 'distribution');

  it('prefers static segments over params', () => {
    assert.deepEqual(r.find('GET', '/images/json'), { handler: 'list', params: {} });
  });
  it('captures and decodes params', () => {
    assert.deepEqual(r.find('GET', '/images/busybox%3Alatest/json'), {
      handler: 'inspect',
      params: { name: 'busybox:latest' },
    });
  });
  it('matches by method', () => {
    assert.equal(r.find('DELETE', '/images/abc')?.handler, 'delete');
    assert.equal(r.find('POST', '/images/abc'), undefined);
  });
  it('a wildcard takes the rest of the path, slashes included', () => {
    assert.deepEqual(r.find('GET', '/distribution/docker.io/library/busybox/json'), {
      handler: 'distribution',
      params: { '*': 'docker.io/library/busybox/json' },
    });
  });
  it('returns undefined for unknown paths', () => {
    assert.equal(r.find('GET', '/nope'), undefined);
    assert.equal(r.find('GET', '/images'), undefined);
  });
});
