import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToRegExp, matchesLabelFilters, parseBoolFilter } from './list.js';

describe('image list filters', () => {
  it('match references like Go path.Match', () => {
    assert.ok(globToRegExp('fixture/*').test('fixture/layers'));
    assert.ok(!globToRegExp('fixture*').test('fixture/layers'), '* stops at a slash');
    assert.ok(globToRegExp('busybox:l?test').test('busybox:latest'));
    assert.ok(globToRegExp('b[a-z]sybox').test('busybox'));
    assert.ok(!globToRegExp('b[^u]sybox').test('busybox'));
    assert.ok(globToRegExp('a.b').test('a.b') && !globToRegExp('a.b').test('axb'));
    assert.throws(() => globToRegExp('a[b'), /syntax error in pattern/);
  });

  it('match labels by key, by value, and by value excluded', () => {
    const labels = { a: '1', b: '2' };
    assert.ok(matchesLabelFilters(labels, ['a', 'b=2']));
    assert.ok(!matchesLabelFilters(labels, ['a=2']));
    assert.ok(!matchesLabelFilters(undefined, ['a']));
    assert.ok(matchesLabelFilters(labels, ['a!=2']));
    assert.ok(matchesLabelFilters(undefined, []));
  });

  it('read dangling as true, false or an error', () => {
    assert.equal(parseBoolFilter({ dangling: ['true'] }, 'dangling'), true);
    assert.equal(parseBoolFilter({ dangling: ['0'] }, 'dangling'), false);
    assert.equal(parseBoolFilter({}, 'dangling'), undefined);
    assert.throws(
      () => parseBoolFilter({ dangling: ['xx'] }, 'dangling'),
      /invalid filter 'dangling=\[xx\]'/,
    );
  });
});
