import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { secureJoin } from './secure-join.js';

describe('secureJoin', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-securejoin-'));
    await mkdir(join(root, 'usr', 'share'), { recursive: true });
    await symlink('/etc', join(root, 'abs')); // absolute: the rootfs's /etc, not the host's
    await symlink('../../../../..', join(root, 'usr', 'up')); // climbs past the root
    await symlink('share', join(root, 'usr', 'rel'));
    await symlink('loop', join(root, 'loop'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps plain and missing paths inside the root', async () => {
    assert.equal(await secureJoin(root, '/usr/share'), join(root, 'usr/share'));
    assert.equal(await secureJoin(root, 'missing/dir'), join(root, 'missing/dir'));
    assert.equal(await secureJoin(root, '/../../etc'), join(root, 'etc'));
  });

  it('resolves links relative to the root, never out of it', async () => {
    assert.equal(await secureJoin(root, '/abs/passwd'), join(root, 'etc/passwd'));
    assert.equal(await secureJoin(root, '/usr/up/etc'), join(root, 'etc'));
    assert.equal(await secureJoin(root, '/usr/rel/x'), join(root, 'usr/share/x'));
  });

  it('refuses a link loop', async () => {
    await assert.rejects(secureJoin(root, '/loop/x'), /too many levels of symbolic links/);
  });
});
