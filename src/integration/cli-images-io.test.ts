/**
 * Images in and out with berth against a real dockerd: load (plain and on a
 * terminal, with docker's progress display), save, import, prune, and the
 * offline base images from `berth bootstrap`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asBerth, type CliPair, cliPair } from '../testing/cli-pair.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const skip =
  fixturesMissing ||
  (!dockerdBinary() ? 'dockerd (docker.io) is not installed' : !docker ? 'no docker CLI' : false);
const slow = process.env.BERTH_SLOW_TESTS === '1';
const fixture = (name: string) => join(fixturesDir, 'images', name);
/**
 * Keeps only the last of consecutive redraws of one layer's line: how many
 * progress messages dockerd sends depends on timing; how each is drawn does not.
 */
const lastFrames = (text: string) =>
  text.replace(/\x1b\[\d+A\x1b\[2K\r([0-9a-f]{12}): [^\r]*\r\x1b\[\d+B(?=\x1b\[\d+A\x1b\[2K\r\1: )/g, '');
const LAYERS_ID = 'sha256:5228ba304284ab05ba9e5982433ac76385ef07e1c141ef6a445c7950f5652b37';

describe('berth moves images in and out of dockerd', { skip }, () => {
  let peer: PeerDockerd;
  let cli: CliPair;
  let dir: string;

  before(async () => {
    peer = await startPeerDockerd();
    cli = cliPair(peer.host, docker!);
    dir = await mkdtemp(join(tmpdir(), 'berth-cli-io-'));
  });
  after(async () => {
    await peer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads from a file and from stdin, printing the Loaded image lines', async () => {
    const fromFile = await cli.berth('load', '-i', fixture('busybox.docker-archive.tar'));
    assert.deepEqual([fromFile.code, fromFile.stdout], [0, 'Loaded image: busybox:latest\n']);
    const archive = await readFile(fixture('layers.docker-archive.tar'));
    const fromStdin = await cli.berthWithInput(archive, 'load');
    assert.deepEqual([fromStdin.code, fromStdin.stdout], [0, 'Loaded image: fixture/layers:latest\n']);
    const id = await cli.berth('inspect', '-f', '{{.Id}}', 'fixture/layers');
    assert.equal(id.stdout, `${LAYERS_ID}\n`);
  });

  it('shows load progress on a terminal exactly as docker does, bars and all', async (t) => {
    for (const columns of [0, 200]) {
      const runs = [];
      for (const program of ['docker', 'berth'] as const) {
        await cli.docker('rmi', 'fixture/layers');
        const run = cli.onTerminal(program, ['load', '-i', fixture('layers.docker-archive.tar')], columns);
        if (!run) return t.skip('no script(1) for a pseudo-terminal');
        runs.push(await run);
      }
      const [d, b] = runs;
      assert.equal(lastFrames(b!.stdout), lastFrames(d!.stdout), `${columns} columns`);
      assert.match(b!.stdout, /\x1b\[1A\x1b\[2K\r[0-9a-f]{12}: Loading layer /);
    }
  });

  it('fails a load as docker does: refused archives, a terminal for stdin, a missing file', async () => {
    const evil = await cli.both('load', '-i', fixture('evil.docker-archive.tar'));
    assert.deepEqual([evil[0].stderr, evil[0].code], [evil[1].stderr, evil[1].code]);
    const missing = await cli.both('load', '-i', join(dir, 'missing.tar'));
    assert.deepEqual([missing[0].stderr, missing[0].code], [missing[1].stderr, 1]);
    const tty = cli.onTerminal('berth', ['load']);
    if (tty) assert.match((await tty).stdout, /^requested load from stdin, but stdin is empty/);
  });

  it('saves to a file or stdout, and the archive loads back with the same ID', async () => {
    const target = join(dir, 'layers.tar');
    const saved = await cli.berth('save', '-o', target, 'fixture/layers');
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.equal((await cli.docker('rmi', 'fixture/layers')).code, 0);
    const loaded = await cli.docker('load', '-i', target);
    assert.equal(loaded.stdout, 'Loaded image: fixture/layers:latest\n');
    const piped = await runCommand('/bin/sh', [
      '-c',
      '"$0" "$1" "$2" save busybox | wc -c',
      ...cli.berthCommand,
    ]);
    assert.ok(Number(piped.stdout.trim()) > 2_000_000, piped.stderr);
    const failed = await cli.both('save', '-o', join(dir, 'none.tar'), 'nonexistent');
    assert.deepEqual([failed[0].stderr, failed[0].code], [failed[1].stderr, failed[1].code]);
    await assert.rejects(stat(join(dir, 'none.tar')));
    for (const args of [
      ['save', '-o', dir, 'busybox'],
      ['save', '-o', '/nonexistent/x.tar', 'busybox'],
    ]) {
      const [b, d] = await cli.both(...args);
      assert.deepEqual([b.stderr, b.code], [asBerth(d.stderr), d.code], args.join(' '));
    }
    const tty = cli.onTerminal('berth', ['save', 'busybox']);
    if (tty) assert.match((await tty).stdout, /^cowardly refusing to save to a terminal/);
  });

  it('imports a rootfs with changes and a message, from a file or stdin', async () => {
    const rootfs = fixture('busybox-rootfs.tar');
    const changes = ['-c', 'CMD ["sh"]', '-c', 'ENV A=b', '-c', 'WORKDIR /tmp', '-m', 'from berth'];
    const imported = await cli.berth('import', ...changes, rootfs, 'imported:1');
    assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const fields = await cli.docker(
      'inspect',
      '-f',
      '{{.Comment}}|{{.Config.Cmd}}|{{.Config.Env}}|{{.Config.WorkingDir}}',
      'imported:1',
    );
    assert.equal(fields.stdout, 'from berth|[sh]|[A=b]|/tmp\n');
    const history = await cli.both('history', '--format', '{{.Comment}} {{.Size}}', 'imported:1');
    assert.equal(history[0].stdout, history[1].stdout);
    const fromStdin = await cli.berthWithInput(await readFile(rootfs), 'import', '-', 'imported:2');
    assert.match(fromStdin.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const bad = await cli.both('import', rootfs, 'BAD:ref');
    assert.deepEqual([bad[0].stderr, bad[0].code], [bad[1].stderr, bad[1].code]);
  });

  it('prunes dangling images after asking, and not when told no', async () => {
    const rootfs = fixture('busybox-rootfs.tar');
    const dangling = (await cli.berth('import', rootfs)).stdout.trim();
    const no = await cli.berthWithInput('n\n', 'image', 'prune');
    assert.deepEqual([no.code, no.stderr], [0, '']);
    assert.equal(
      no.stdout,
      'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ',
    );
    const yes = await cli.berthWithInput('y\n', 'image', 'prune');
    assert.match(yes.stdout, new RegExp(`\\[y/N\\] Deleted Images:\\ndeleted: ${dangling}\\n`));
    assert.match(yes.stdout, /\n\nTotal reclaimed space: \d+(\.\d+)?[kMG]?B\n$/);
    const none = await cli.both('image', 'prune', '-f');
    assert.deepEqual([none[0].stdout, none[0].code], [none[1].stdout, 0]);
  });

  it('bootstraps busybox from busybox-static, and dockerd runs it', async () => {
    const built = await cli.berth('bootstrap', 'busybox');
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const run = await cli.docker(
      'run',
      '--rm',
      '--network',
      'none',
      'busybox:latest',
      'sh',
      '-c',
      'ls /bin | wc -l; id; stat -c %a /tmp',
    );
    assert.equal(run.code, 0, run.stderr);
    const [count, id, tmpMode] = run.stdout.trim().split('\n');
    assert.ok(Number(count) > 50, `only ${count} applets in /bin`);
    assert.equal(id, 'uid=0(root) gid=0(root) groups=0(root),10(wheel)');
    assert.equal(tmpMode, '1777');
    const nobody = await cli.docker('run', '--rm', '--network', 'none', '-u', 'nobody', 'busybox', 'id');
    assert.equal(nobody.stdout, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
  });

  it('bootstraps debian:bookworm with debootstrap', {
    skip: !slow && 'set BERTH_SLOW_TESTS=1 (takes minutes)',
  }, async () => {
    const built = await cli.berthWithInput('', 'bootstrap', 'debian:bookworm');
    assert.equal(built.code, 0, built.stderr);
    const run = await cli.docker(
      'run',
      '--rm',
      '--network',
      'none',
      'debian:bookworm',
      'bash',
      '-c',
      '. /etc/os-release; echo $VERSION_CODENAME',
    );
    assert.equal(run.stdout, 'bookworm\n');
    const cmd = await cli.docker('inspect', '-f', '{{.Config.Cmd}}', 'debian:bookworm');
    assert.equal(cmd.stdout, '[bash]\n');
  });
});
