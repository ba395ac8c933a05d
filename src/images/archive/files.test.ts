import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Of } from '../../core/digest.js';
import { type ArchiveFile, ArchiveFiles, cleanEntryPath, cleanLinkTarget } from './files.js';

const file = (text: string): ArchiveFile => ({
  kind: 'memory',
  bytes: Buffer.from(text),
  digest: sha256Of(text),
});

describe('archive files', () => {
  it('cleans entry names and refuses ones that leave the archive', () => {
    assert.equal(cleanEntryPath('./manifest.json'), 'manifest.json');
    assert.equal(cleanEntryPath('a/./b/../c/'), 'a/c');
    assert.equal(cleanEntryPath('./'), '');
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '..']) {
      assert.throws(() => cleanEntryPath(bad), /path escapes the archive/, bad);
    }
  });

  it('resolves links inside the archive, as buildah archives use them', () => {
    const files = new ArchiveFiles(
      new Map([['0707.tar', file('layer')]]),
      new Map([
        ['abc/layer.tar', cleanLinkTarget('abc/layer.tar', '../0707.tar', 'symlink')],
        ['dir', cleanLinkTarget('dir', 'abc', 'symlink')],
        ['hard.tar', cleanLinkTarget('hard.tar', '0707.tar', 'link')],
        ['abs', cleanLinkTarget('abs', '/0707.tar', 'symlink')],
      ]),
    );
    for (const path of ['abc/layer.tar', 'dir/layer.tar', 'hard.tar', 'abs', './0707.tar', '../0707.tar']) {
      assert.equal(files.get(path)?.digest, sha256Of('layer'), path);
    }
    assert.equal(files.has('missing'), false);
    assert.throws(() => files.require('missing'), /invalid archive: missing: no such file/);
  });

  it('refuses link targets that climb out, and stops on link loops', () => {
    assert.throws(() => cleanLinkTarget('a/b', '../../x', 'symlink'), /escapes the archive/);
    assert.throws(() => cleanLinkTarget('a', '../etc/passwd', 'link'), /escapes the archive/);
    const loop = new ArchiveFiles(
      new Map(),
      new Map([
        ['a', 'b'],
        ['b', 'a'],
      ]),
    );
    assert.equal(loop.get('a'), undefined);
  });
});
