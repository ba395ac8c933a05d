import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { overlayChanges, overlayDirs } from './changes.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

describe('container changes from an overlay upper dir', {
  skip: isRoot ? false : 'whiteouts are devices: needs root',
}, () => {
  let dir: string;
  let lower: string;
  let upper: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-changes-'));
    lower = join(dir, 'lower');
    upper = join(dir, 'upper');
    for (const d of ['bin', 'etc', 'srv/deep']) await mkdir(join(lower, d), { recursive: true });
    await writeFile(join(lower, 'bin/vi'), 'vi');
    await writeFile(join(lower, 'etc/passwd'), 'root');
    for (const d of ['bin', 'etc', 'srv/deep', 'proc', 'new'])
      await mkdir(join(upper, d), { recursive: true });
    await writeFile(join(upper, 'etc/passwd'), 'root\nme');
    await writeFile(join(upper, 'etc/hostname'), '');
    await writeFile(join(upper, 'new/file'), 'x');
    await run('mknod', [join(upper, 'bin/vi'), 'c', '0', '0']);
    // A directory copied up only because something below it changed: same mode, size and mtime.
    for (const [u, l] of [
      ['srv', 'srv'],
      ['srv/deep', 'srv/deep'],
    ]) {
      await utimes(join(upper, u!), 1_700_000_000, 1_700_000_000);
      await utimes(join(lower, l!), 1_700_000_000, 1_700_000_000);
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reports additions, modifications and deletions like dockerd, without runtime mount points', async () => {
    const changes = await overlayChanges(upper, [lower]);
    assert.deepEqual(changes, [
      { Path: '/bin', Kind: 0 },
      { Path: '/bin/vi', Kind: 2 },
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/passwd', Kind: 0 },
      { Path: '/new', Kind: 1 },
      { Path: '/new/file', Kind: 1 },
    ]);
  });

  it('reads the upper and lower dirs from overlay mount options', () => {
    assert.deepEqual(
      overlayDirs([
        { type: 'overlay', source: 'overlay', options: ['upperdir=/u', 'lowerdir=/a:/b', 'workdir=/w'] },
      ]),
      {
        upper: '/u',
        lowers: ['/a', '/b'],
      },
    );
  });
});
