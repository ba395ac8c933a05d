import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AccountFiles, nextFreeStart, resolveUsernsRemap } from './userns-remap.js';

describe('resolveUsernsRemap', () => {
  let dir: string;
  let files: AccountFiles;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-userns-unit-'));
    files = {
      passwd: join(dir, 'passwd'),
      group: join(dir, 'group'),
      subuid: join(dir, 'subuid'),
      subgid: join(dir, 'subgid'),
    };
    await writeFile(
      files.passwd,
      'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/:/bin/false\n',
    );
    await writeFile(files.group, 'root:x:0:\nalice:x:1000:\nstaff:x:50:\n');
    await writeFile(files.subuid, 'alice:100000:65536\n1000:300000:10\nbob:400000:5\n');
    await writeFile(files.subgid, 'alice:200000:65536\nstaff:600000:65536\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('maps a user by name, its ranges by name or uid in file order, its own group', async () => {
    const remap = await resolveUsernsRemap('alice', files);
    assert.equal(remap.user, 'alice');
    assert.equal(remap.group, 'alice');
    assert.deepEqual(remap.idMap.uids, [
      { containerID: 0, hostID: 100000, size: 65536 },
      { containerID: 65536, hostID: 300000, size: 10 },
    ]);
    assert.deepEqual(remap.idMap.gids, [{ containerID: 0, hostID: 200000, size: 65536 }]);
  });

  it('takes user:group and uid:gid', async () => {
    const named = await resolveUsernsRemap('alice:staff', files);
    assert.deepEqual(named.idMap.root, { uid: 100000, gid: 600000 });
    const numeric = await resolveUsernsRemap('1000:50', files);
    assert.equal(numeric.user, 'alice');
    assert.equal(numeric.group, 'staff');
  });

  it('names the file and the account when a range or an account is missing', async () => {
    await assert.rejects(
      resolveUsernsRemap('bob', files),
      /no subordinate gid ranges found for group "bob" in .*subgid/,
    );
    await assert.rejects(
      resolveUsernsRemap('root', files),
      /no subordinate uid ranges found for user "root" in .*subuid/,
    );
    await assert.rejects(resolveUsernsRemap('carol', files), /user "carol" not found in .*passwd/);
    await assert.rejects(resolveUsernsRemap('alice:nogroup', files), /group "nogroup" not found in .*group/);
    await assert.rejects(resolveUsernsRemap('a:b:c', files), /userns-remap: invalid value "a:b:c"/);
  });

  it('places a new default range in the first gap from 100000 on', () => {
    assert.equal(nextFreeStart(['']), 100000);
    assert.equal(nextFreeStart(['a:3000000000:65536\n']), 100000);
    assert.equal(nextFreeStart(['a:100000:65536\nb:300000:10\n', 'c:165536:65536\n']), 231072);
    assert.equal(nextFreeStart(['a:100000:65536\nb:200000:10\n', 'c:165536:65536\n']), 231072);
    assert.equal(nextFreeStart(['a:100000:65536\nb:231071:10\n']), 231081);
    assert.equal(nextFreeStart(['a:100000:65536\nb:300000:10\n']), 165536);
  });
});
