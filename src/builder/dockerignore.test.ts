import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatternMatcher, readDockerignore } from './dockerignore.js';

function matcher(text: string) {
  return new PatternMatcher(readDockerignore(text));
}

describe('.dockerignore', () => {
  it('follows the examples of the Dockerfile reference', () => {
    const m = matcher('# comment\n*/temp*\n*/*/temp*\ntemp?\n');
    assert.equal(m.excludes('somedir/temporary.txt'), true);
    assert.equal(m.excludes('somedir/temp'), true);
    assert.equal(m.excludes('somedir/subdir/temporary.txt'), true);
    assert.equal(m.excludes('tempa'), true);
    assert.equal(m.excludes('tempab'), false);
    assert.equal(m.excludes('temporary.txt'), false);
  });

  it('lets the last matching line win, with ! exceptions', () => {
    const m = matcher('*.md\n!README*.md\nREADME-secret.md\n');
    assert.equal(m.excludes('CHANGES.md'), true);
    assert.equal(m.excludes('README.md'), false);
    assert.equal(m.excludes('README-secret.md'), true);
  });

  it('matches ** across directories and excludes whole directories', () => {
    const m = matcher('**/*.go\nnode_modules\n/build/\n');
    assert.equal(m.excludes('a.go'), true);
    assert.equal(m.excludes('x/y/z.go'), true);
    assert.equal(m.excludes('node_modules/pkg/index.js'), true);
    assert.equal(m.excludes('build/out/bin'), true);
    assert.equal(m.excludes('src/build'), false);
    assert.equal(m.excludes('main.ts'), false);
  });

  it('cleans paths like Go and escapes regexp characters', () => {
    const m = matcher('./a/../b.txt\nfile(1).txt\n');
    assert.equal(m.excludes('b.txt'), true);
    assert.equal(m.excludes('file(1).txt'), true);
    assert.equal(m.excludes('file1.txt'), false);
  });
});
