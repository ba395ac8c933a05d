import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { asBerth, type CliPair, cliPair } from '../testing/cli-pair.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();

/** Every file under dir with its content, for comparing two copies. */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(`${rel}/`, ...(await tree(dir, rel)));
    else out.push(`${rel}=${await readFile(join(dir, rel), 'utf8')}`);
  }
  return out;
}

describe('berth container operations next to the Docker CLI', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  const fixture = withBusyboxDaemon('berth-cli-ops-');
  let cli: CliPair;

  before(async () => {
    cli = cliPair(fixture.daemon.host, docker!);
    assert.equal(
      (
        await cli.docker(
          'run',
          '-d',
          '--name',
          'svc',
          'busybox',
          'sh',
          '-c',
          'mkdir /data && echo one > /data/a && exec sleep 600',
        )
      ).code,
      0,
    );
    assert.equal(
      (await cli.docker('run', '--name', 'done', 'busybox', 'sh', '-c', 'echo x > /tmp/x; rm /bin/ls')).code,
      0,
    );
  });

  it('top, diff and stats print what docker prints', async () => {
    const [bt, dt] = await cli.both('top', 'svc', '-o', 'pid,user,args');
    assert.equal(bt.stdout, dt.stdout);
    const [bd, dd] = await cli.both('diff', 'done');
    assert.equal(bd.stdout, dd.stdout);
    assert.match(bd.stdout, /^A \/tmp\/x$/m);
    // NET I/O is left out of the comparison: the bridge may carry a packet between the two calls.
    const format = ['stats', '--no-stream', '--format', 'table {{.Name}}\t{{.PIDs}}\t{{.BlockIO}}'];
    const [bs, ds] = await cli.both(...format);
    assert.equal(bs.stdout, ds.stdout);
    const [bn] = await cli.both('stats', '--no-stream', '--format', '{{.Name}} {{.NetIO}}', 'svc');
    assert.match(bn.stdout, /^svc \d+(\.\d+)?k?B \/ \d+(\.\d+)?k?B$/m);
    const [ba, da] = await cli.both(
      'stats',
      '--no-stream',
      '--all',
      '--format',
      '{{.Name}} {{.CPUPerc}} {{.MemUsage}}',
      'done',
    );
    assert.equal(ba.stdout, da.stdout);
  });

  it('pause, unpause, rename and update answer like docker, errors included', async () => {
    const [bp, dp] = [
      await cli.berth('pause', 'svc', 'missing'),
      await cli.docker('unpause', 'svc', 'missing'),
    ];
    assert.deepEqual([bp.code, bp.stdout], [dp.code, dp.stdout]);
    assert.equal(bp.stderr, asBerth(dp.stderr));
    const [br, dr] = await cli.both('rename', 'svc', 'svc');
    assert.deepEqual([br.code, br.stdout, br.stderr], [dr.code, dr.stdout, asBerth(dr.stderr)]);
    assert.equal((await cli.berth('rename', 'svc', 'svc2')).code, 0);
    assert.equal((await cli.docker('rename', 'svc2', 'svc')).code, 0);
    const bu = await cli.berth('update', '--memory', '48m', '--memory-swap', '96m', 'svc');
    assert.deepEqual([bu.code, bu.stdout], [0, 'svc\n']);
    const du = await cli.docker('update', '--cpu-shares', '256', 'svc');
    assert.deepEqual([du.code, du.stdout], [0, 'svc\n']);
    const inspect = await cli.docker(
      'inspect',
      '-f',
      '{{.HostConfig.Memory}} {{.HostConfig.CpuShares}}',
      'svc',
    );
    assert.equal(inspect.stdout, `${48 * 1024 * 1024} 256\n`);
  });

  it('cp copies files and directories both ways as docker cp does', async () => {
    const src = join(fixture.dir, 'src');
    await mkdir(join(src, 'pkg', 'lib'), { recursive: true });
    await writeFile(join(src, 'pkg', 'lib', 'm.txt'), 'module\n');
    await writeFile(join(src, 'one.txt'), 'single\n');
    for (const [tool, name] of [
      ['berth', 'b'],
      ['docker', 'd'],
    ] as const) {
      const run = tool === 'berth' ? cli.berth : cli.docker;
      const out = join(fixture.dir, `out-${name}`);
      await mkdir(out);
      assert.equal((await run('cp', join(src, 'pkg'), `svc:/tmp/pkg-${name}`)).code, 0);
      assert.equal((await run('cp', join(src, 'one.txt'), `svc:/tmp/one-${name}.txt`)).code, 0);
      assert.equal((await run('cp', `svc:/tmp/pkg-${name}`, join(out, 'pkg'))).code, 0);
      assert.equal((await run('cp', `svc:/tmp/one-${name}.txt`, join(out, 'one.txt'))).code, 0);
      assert.equal((await run('cp', 'svc:/data', out)).code, 0);
      assert.equal((await run('cp', 'svc:/data/.', join(out, 'contents'))).code, 0);
      const missing = await run('cp', 'svc:/nope', out);
      assert.equal(missing.code, 1);
    }
    assert.deepEqual(await tree(join(fixture.dir, 'out-b')), await tree(join(fixture.dir, 'out-d')));
    assert.deepEqual(await tree(join(fixture.dir, 'out-b')), [
      'contents/',
      'contents/a=one\n',
      'data/',
      'data/a=one\n',
      'one.txt=single\n',
      'pkg/',
      'pkg/lib/',
      'pkg/lib/m.txt=module\n',
    ]);
    const [bm, dm] = await cli.both('cp', 'svc:/nope', fixture.dir);
    assert.equal(bm.stderr, asBerth(dm.stderr));
  });

  it('cp with - streams a tar, and export and container prune match docker', async () => {
    const tarList = async (tool: 'berth' | 'docker', ...args: string[]) => {
      const prefix = tool === 'berth' ? cli.berthCommand.join(' ') : `${docker} -H ${fixture.daemon.host}`;
      return (await runCommand('sh', ['-c', `${prefix} ${args.join(' ')} | tar tv`])).stdout;
    };
    assert.equal(
      await tarList('berth', 'cp', 'svc:/data', '-'),
      await tarList('docker', 'cp', 'svc:/data', '-'),
    );
    assert.equal(await tarList('berth', 'export', 'done'), await tarList('docker', 'export', 'done'));
    const archive = join(fixture.dir, 'in.tar');
    await runCommand('tar', ['-C', join(fixture.dir, 'src'), '-cf', archive, 'one.txt']);
    const fromStdin = await cli.berthWithInput(await readFile(archive), 'cp', '-', 'svc:/tmp');
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const back = await cli.docker('cp', 'svc:/tmp/one.txt', '-');
    assert.match(back.stdout, /single/);
    assert.equal((await cli.docker('create', '--name', 'p1', 'busybox')).code, 0);
    const prune = await cli.berth('container', 'prune', '-f');
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(
      prune.stdout,
      /^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: .+\n$/,
    );
    const again = await cli.both('container', 'prune', '-f');
    assert.equal(again[0].stdout, again[1].stdout);
    assert.equal(again[0].stdout, 'Total reclaimed space: 0B\n');
  });
});
