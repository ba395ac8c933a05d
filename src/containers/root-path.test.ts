import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveRelative } from './root-path.js';

describe('paths inside a container root', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-rootpath-'));
    await mkdir(join(root, 'etc/app'), { recursive: true });
    await symlink('/etc', join(root, 'abs'));
    await symlink('../../../../../../etc', join(root, 'etc/app/climb'));
    await symlink('loop2', join(root, 'loop1'));
    await symlink('loop1', join(root, 'loop2'));
    await symlink('app', join(root, 'etc/rel'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('follow absolute and relative links from the container root', async () => {
    assert.equal(await resolveRelative(root, '/abs/app'), '/etc/app');
    assert.equal(await resolveRelative(root, '/etc/rel/x'), '/etc/app/x');
  });

  it('never climb above the root', async () => {
    assert.equal(await resolveRelative(root, '/etc/app/climb/passwd'), '/etc/passwd');
    assert.equal(await resolveRelative(root, '/../../../tmp'), '/tmp');
  });

  it('keep the last link when asked, and stop on loops', async () => {
    assert.equal(await resolveRelative(root, '/abs', false), '/abs');
    await assert.rejects(resolveRelative(root, '/loop1/x'), /too many links/);
  });
});
