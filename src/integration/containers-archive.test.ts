import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildTar } from '../snapshots/tar/build.js';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();

describe('docker cp, export and diff with the real Docker CLI', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  const fixture = withBusyboxDaemon('berth-archive-');
  const run = fixture.run;
  const curl = (...args: string[]) =>
    runCommand('curl', ['-s', '--unix-socket', fixture.daemon.socket, ...args]);

  it('copies a file and a directory in and out of a running and a stopped container', async () => {
    assert.equal((await run('run', '-d', '--name', 'live', 'busybox', 'sleep', '600')).code, 0);
    assert.equal((await run('create', '--name', 'still', 'busybox', 'true')).code, 0);
    const local = join(fixture.dir, 'local');
    await mkdir(join(local, 'tree', 'sub'), { recursive: true });
    await writeFile(join(local, 'note.txt'), 'hello from the host\n');
    await writeFile(join(local, 'tree', 'sub', 'deep.txt'), 'deep\n');
    for (const name of ['live', 'still']) {
      assert.equal((await run('cp', join(local, 'note.txt'), `${name}:/tmp/`)).code, 0);
      const tree = await run('cp', join(local, 'tree'), `${name}:/opt`);
      assert.equal(tree.code, 0, tree.stderr);
      const back = join(fixture.dir, `back-${name}`);
      await mkdir(back);
      const out = await run('cp', `${name}:/tmp/note.txt`, join(back, 'copy.txt'));
      assert.equal(out.code, 0, out.stderr);
      assert.equal(await readFile(join(back, 'copy.txt'), 'utf8'), 'hello from the host\n');
      assert.equal((await run('cp', `${name}:/opt`, join(back, 'opt'))).code, 0);
      assert.equal(await readFile(join(back, 'opt', 'sub', 'deep.txt'), 'utf8'), 'deep\n');
    }
    const listing = await runCommand('sh', [
      '-c',
      `${docker} -H ${fixture.daemon.host} cp live:/etc - | tar t`,
    ]);
    assert.match(listing.stdout, /^etc\/$/m);
    assert.match(listing.stdout, /^etc\/passwd$/m);
    const missing = await run('cp', 'live:/no/such/file', join(fixture.dir, 'x'));
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Could not find the file \/no\/such\/file in container live/);
  });

  it('reports the path stat in the X-Docker-Container-Path-Stat header', async () => {
    const head = await curl('-I', 'http://x/containers/live/archive?path=/etc/passwd');
    const line = head.stdout
      .split('\r\n')
      .find((l) => l.toLowerCase().startsWith('x-docker-container-path-stat:'));
    assert.ok(line, head.stdout);
    const stat = JSON.parse(Buffer.from(line.split(':')[1]!.trim(), 'base64').toString()) as Record<
      string,
      unknown
    >;
    assert.equal(stat.name, 'passwd');
    assert.equal(stat.linkTarget, '');
    assert.equal((stat.mode as number) & 0o777, 0o644);
    const dirStat = await curl('-I', 'http://x/containers/live/archive?path=/etc');
    const dirLine = dirStat.stdout
      .split('\r\n')
      .find((l) => l.toLowerCase().startsWith('x-docker-container-path-stat:'))!;
    const mode = (
      JSON.parse(Buffer.from(dirLine.split(':')[1]!.trim(), 'base64').toString()) as { mode: number }
    ).mode;
    assert.equal(mode >>> 31, 1, "Go's ModeDir bit");
  });

  it('resolves symlinks inside the container root: no way out to the host', async () => {
    const hostDir = join(fixture.dir, 'host-secret');
    await mkdir(hostDir);
    await writeFile(join(hostDir, 'secret'), 'host only\n');
    const climb = `${'../'.repeat(12)}${hostDir.slice(1)}`;
    const made = await run(
      'run',
      '--name',
      'esc',
      'busybox',
      'sh',
      '-c',
      `mkdir -p ${hostDir} && ln -s ${climb} /up && ln -s / /root-link`,
    );
    assert.equal(made.code, 0, made.stderr);
    const read = await run('cp', 'esc:/up/secret', join(fixture.dir, 'stolen'));
    assert.notEqual(read.code, 0, 'the host file must not be readable through the link');
    await assert.rejects(readFile(join(fixture.dir, 'stolen')));
    const local = join(fixture.dir, 'payload');
    await writeFile(local, 'payload\n');
    const wrote = await run('cp', local, 'esc:/up/');
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.deepEqual((await readdir(hostDir)).sort(), ['secret'], 'nothing written on the host');
    const inside = await runCommand('sh', ['-c', `${docker} -H ${fixture.daemon.host} export esc | tar t`]);
    assert.match(
      inside.stdout,
      new RegExp(`^${hostDir.slice(1)}/payload$`, 'm'),
      'it landed inside the container',
    );
    // A hostile archive: names that climb out of the destination are refused.
    const evil = join(fixture.dir, 'evil.tar');
    await writeFile(
      evil,
      buildTar([{ name: '../../../../../../../../../tmp/berth-escape-probe', body: 'x' }]),
    );
    const put = await curl(
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/x-tar',
      '--data-binary',
      `@${evil}`,
      '-w',
      '%{http_code}',
      'http://x/containers/esc/archive?path=/tmp',
    );
    assert.match(put.stdout, /400$/);
    await assert.rejects(readFile('/tmp/berth-escape-probe'));
    // A symlink planted by the archive itself cannot lead a later entry out either.
    const planted = join(fixture.dir, 'planted.tar');
    await writeFile(
      planted,
      buildTar([
        { name: 'link', type: 'symlink', linkname: hostDir },
        { name: 'link/owned', body: 'x' },
      ]),
    );
    const put2 = await curl(
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/x-tar',
      '--data-binary',
      `@${planted}`,
      '-w',
      '%{http_code}',
      'http://x/containers/esc/archive?path=/',
    );
    assert.match(put2.stdout, /200$/);
    assert.deepEqual((await readdir(hostDir)).sort(), ['secret']);
  });

  it('export streams the whole filesystem and diff lists changes with their kinds', async () => {
    const made = await run(
      'run',
      '--name',
      'changed',
      'busybox',
      'sh',
      '-c',
      'echo x > /tmp/new && rm /bin/vi && echo y >> /etc/passwd',
    );
    assert.equal(made.code, 0, made.stderr);
    const exported = await runCommand('sh', [
      '-c',
      `${docker} -H ${fixture.daemon.host} export changed | tar t`,
    ]);
    assert.match(exported.stdout, /^bin\/sh$/m);
    assert.match(exported.stdout, /^tmp\/new$/m);
    assert.doesNotMatch(exported.stdout, /^bin\/vi$/m);
    const out = join(fixture.dir, 'changed.tar');
    assert.equal((await run('export', '-o', out, 'changed')).code, 0);
    const diff = await run('diff', 'changed');
    assert.equal(diff.code, 0, diff.stderr);
    assert.deepEqual(
      diff.stdout.trim().split('\n').sort(),
      ['C /bin', 'C /etc', 'C /etc/passwd', 'C /tmp', 'A /tmp/new', 'D /bin/vi'].sort(),
    );
  });

  it('keeps the extended attributes of a file copied in (the xattr binding loads on first use)', async () => {
    assert.equal((await run('create', '--name', 'attrs', 'busybox', 'true')).code, 0);
    const local = join(fixture.dir, 'attrs');
    await mkdir(local);
    await writeFile(join(local, 'tagged'), 'x\n');
    const set = await runCommand('setfattr', ['-n', 'user.berth', '-v', 'kept', join(local, 'tagged')]);
    assert.equal(set.code, 0, set.stderr);
    const tar = join(fixture.dir, 'attrs.tar');
    const made = await runCommand('tar', [
      '--xattrs',
      '--xattrs-include=user.*',
      '-C',
      local,
      '-cf',
      tar,
      'tagged',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const put = await curl(
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/x-tar',
      '--data-binary',
      `@${tar}`,
      'http://x/containers/attrs/archive?path=/tmp',
    );
    assert.equal(put.stdout, '200');
    // The container's writable layer, in the data root.
    const found = await runCommand('find', [fixture.daemon.dataRoot, '-path', '*/fs/tmp/tagged']);
    const copied = found.stdout.trim();
    assert.ok(copied, found.stderr);
    assert.equal(await readFile(copied, 'utf8'), 'x\n');
    const attr = await runCommand('getfattr', ['--only-values', '-n', 'user.berth', copied]);
    assert.equal(attr.stdout, 'kept', attr.stderr);
  });
});
