import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { bin, dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// `berth system check` against a real berthd's stores, corrupted on purpose while it is stopped.

const docker = dockerCli();
const busybox = join(fixturesDir, 'images', 'busybox.docker-archive.tar');
const BUSYBOX_LAYER = '0707da2002b2aa3a57b1bbdf236ddaafd5a678a54adc7d0cdef6e64cedd4207a';

describe('berth system check', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  let dir: string;
  let daemon: TestDaemon | undefined;
  const cli = (host: string, ...args: string[]) =>
    runCommand(docker!, ['-H', host, ...args], { timeoutMs: 60_000 });
  const check = (...args: string[]) =>
    runCommand(process.execPath, [
      bin('berth'),
      'system',
      'check',
      '--data-root',
      join(dir, 'data'),
      '--pidfile',
      join(dir, 'berthd.pid'),
      ...args,
    ]);
  const restart = async () => {
    daemon = await startDaemon({ dir });
    return daemon;
  };
  const stop = async () => {
    await daemon?.stop();
    daemon = undefined;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-check-'));
    const d = await startDaemon({ dir, config: {} });
    daemon = d;
    assert.equal((await cli(d.host, 'load', '-i', busybox)).code, 0);
    assert.equal((await cli(d.host, 'create', '--name', 'keep', 'busybox', 'true')).code, 0);
    assert.equal((await cli(d.host, 'create', '--name', 'lost', 'busybox', 'true')).code, 0);
    await stop();
  });
  after(async () => {
    await stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a healthy store is reported clean', async () => {
    const r = await check();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no problems found/);
  });

  it('refuses to repair under a running daemon', async () => {
    await restart();
    const r = await check('--repair');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is running: stop it before system check --repair/);
    await stop();
  });

  it('reports each corruption, repairs the orphans, and a reload makes the store clean again', async () => {
    const data = join(dir, 'data');
    const d = await restart();
    const lostId = (await cli(d.host, 'inspect', '--format', '{{.Id}}', 'lost')).stdout.trim();
    await stop();
    // A flipped byte in the layer blob, a partial write, an unrecorded snapshot directory,
    // a container directory without its record, and a container record deleted by hand.
    const layer = join(data, 'content', 'blobs', 'sha256', BUSYBOX_LAYER);
    const bytes = await readFile(layer);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
    await rm(layer, { force: true });
    await writeFile(layer, bytes);
    await writeFile(join(data, 'content', 'ingest', 'partial-123'), 'half a blob');
    await mkdir(join(data, 'overlay2', 'snapshots', '999', 'fs'), { recursive: true });
    await mkdir(join(data, 'containers', 'f'.repeat(64)));
    // The temp file of a metadata write a kill -9 cut short (found by the commit crash rounds).
    await writeFile(join(data, 'overlay2', '.metadata.json.0123456789ab.tmp'), '{"snap');
    await rm(join(data, 'containers', lostId), { recursive: true });

    const report = await check();
    assert.equal(report.code, 1);
    const lines = report.stdout.split('\n');
    assert.match(lines[0]!, /^AREA\s+SUBJECT\s+PROBLEM\s+ACTION$/);
    const expected: RegExp[] = [
      new RegExp(`^content\\s+sha256:${BUSYBOX_LAYER}\\s+content does not match its digest`),
      /^content\s+ingest\/partial-123\s+unfinished write left behind/,
      /^snapshot\s+snapshots\/999\s+directory without a snapshot record/,
      /^content\s+overlay2\/\.metadata\.json\.0123456789ab\.tmp\s+temp file of an unfinished write/,
      new RegExp(`^container\\s+${'f'.repeat(64)}\\s+directory without a readable config.v2.json`),
      new RegExp(`^snapshot\\s+container-${lostId}\\s+container snapshot without its container`),
      new RegExp(
        `^image\\s+docker.io/library/busybox:latest\\s+layer sha256:${BUSYBOX_LAYER} is missing or corrupt`,
      ),
    ];
    for (const line of expected)
      assert.ok(
        lines.some((l) => line.test(l)),
        `${line} not in:\n${report.stdout}`,
      );
    assert.equal(lines.filter(Boolean).length, expected.length + 1, report.stdout);

    const repaired = await check('--repair');
    // The broken image is left for the user to pull or load again, so problems remain.
    assert.equal(repaired.code, 1, repaired.stdout);
    assert.match(
      repaired.stdout,
      /image\s+docker.io\/library\/busybox:latest\s+layer .* is missing or corrupt\s+left/,
    );
    assert.equal(repaired.stdout.match(/\sremoved/g)?.length, 6, repaired.stdout);

    const after = await check();
    assert.equal(after.stdout.split('\n').filter(Boolean).length, 2, after.stdout);
    assert.match(after.stdout, /busybox:latest\s+layer .* is missing or corrupt/);

    // The daemon still starts on the repaired store; loading the image again heals it.
    const again = await restart();
    assert.equal((await cli(again.host, 'load', '-i', busybox)).code, 0);
    const ps = await cli(again.host, 'ps', '-a', '--format', '{{.Names}}');
    assert.equal(ps.stdout, 'keep\n');
    await stop();
    const clean = await check();
    assert.equal(clean.code, 0, clean.stdout);
  });
});
