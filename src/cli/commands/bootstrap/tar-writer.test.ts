import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { runCommand } from '../../../testing/run.js';
import { busyboxEntries } from './busybox.js';
import { tarHeader, tarStream } from './tar-writer.js';

const DEFAULTS = { uid: 0, gid: 0, mtime: 1_700_000_000 };

describe('the bootstrap tar writer', () => {
  it('writes ustar headers with a valid checksum and long names split into a prefix', () => {
    const header = tarHeader({ type: 'dir', path: `${'d'.repeat(120)}/x`, mode: 0o1777 }, DEFAULTS);
    assert.equal(header.subarray(257, 263).toString(), 'ustar\0');
    assert.equal(header.subarray(345, 465).toString().replace(/\0+$/, ''), 'd'.repeat(120));
    assert.equal(header.subarray(0, 2).toString(), 'x/');
    assert.equal(header.subarray(100, 107).toString(), '0001777');
    const stored = Number.parseInt(header.subarray(148, 154).toString(), 8);
    const blank = Buffer.from(header);
    blank.fill(' ', 148, 156);
    assert.equal(
      stored,
      blank.reduce((sum, b) => sum + b, 0),
    );
  });

  it('makes an archive GNU tar lists and extracts: files, hard links, symlinks, modes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-tar-'));
    try {
      const source = join(dir, 'payload');
      await writeFile(source, 'binary');
      const entries = [
        ...busyboxEntries({ path: source, size: 6 }, ['bin/busybox', 'bin/sh', 'usr/bin/awk', 'linuxrc']),
        { type: 'symlink' as const, path: 'bin/ash', target: 'sh' },
      ];
      await writeFile(join(dir, 'root.tar'), await buffer(tarStream(entries, DEFAULTS)));
      const listing = await runCommand('tar', ['-tvf', join(dir, 'root.tar')]);
      assert.equal(listing.code, 0, listing.stderr);
      assert.match(listing.stdout, /^drwxrwxrwt 0\/0 +0 2023-11-14 \S+ tmp\/$/m);
      assert.match(listing.stdout, /^hrwxr-xr-x 0\/0 +0 \S+ \S+ usr\/bin\/awk link to bin\/busybox$/m);
      assert.doesNotMatch(listing.stdout, /linuxrc/);
      const out = join(dir, 'out');
      await runCommand('mkdir', [out]);
      const extracted = await runCommand('tar', ['-xf', join(dir, 'root.tar'), '-C', out]);
      assert.equal(extracted.code, 0, extracted.stderr);
      assert.equal(await readFile(join(out, 'bin/sh'), 'utf8'), 'binary');
      assert.match(await readFile(join(out, 'etc/passwd'), 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh\nd/);
      assert.match(await readFile(join(out, 'etc/group'), 'utf8'), /^nogroup:x:65534:$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
