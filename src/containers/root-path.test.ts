import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFileInRoot, resolveRelative } from './root-path.js';

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

  it('read a file through a link to an absolute path from the container, not the host', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'berth-rootpath-host-'));
    try {
      await writeFile(join(outside, 'passwd'), 'host:x:1:1::/:/bin/sh\n');
      await mkdir(join(root, outside), { recursive: true });
      await writeFile(join(root, outside, 'passwd'), 'inside:x:2:2::/:/bin/sh\n');
      await symlink(join(outside, 'passwd'), join(root, 'etc/passwd'));
      assert.equal(await readFileInRoot(root, '/etc/passwd'), 'inside:x:2:2::/:/bin/sh\n');
      assert.equal(await readFileInRoot(root, '/etc/nothing'), '');
      // A FIFO would block the reader: anything but a regular file reads as empty.
      execFileSync('mkfifo', [join(root, 'etc/group')]);
      assert.equal(await readFileInRoot(root, '/etc/group'), '');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
