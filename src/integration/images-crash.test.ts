import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, type TestDaemon, waitExit } from '../testing/daemon.js';
import { type LargeArchive, writeLargeDockerArchive } from '../testing/large-archive.js';
import { dockerCli } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const skip = !docker ? 'no docker CLI on this machine' : process.getuid?.() !== 0 && 'needs root';
const MB = 1024 * 1024;

describe('kill -9 of berthd in the middle of a large load', { skip }, () => {
  let daemon: TestDaemon;
  let archive: LargeArchive;
  let archivePath: string;
  const dockerRun = (...args: string[]) =>
    runCommand(docker!, ['-H', daemon.host, ...args], { timeoutMs: 120_000 });

  before(async () => {
    daemon = await startDaemon();
    archivePath = join(daemon.dir, 'large.tar');
    archive = await writeLargeDockerArchive(archivePath, {
      layers: 4,
      layerBytes: 50 * MB,
      tag: 'crash/large:1',
    });
  });
  after(async () => {
    await daemon?.stop();
    // The restarted daemon was given the directory, so stop() leaves it: remove it here.
    if (daemon) await rm(daemon.dir, { recursive: true, force: true });
  });

  it('leaves a store that restarts clean, shows no half image and takes the same load again', async () => {
    assert.ok(archive.size > 200 * 1e6, `archive of ${archive.size} bytes`);
    const client = spawn(docker!, ['-H', daemon.host, 'load', '-i', archivePath], { stdio: 'ignore' });
    await untilBlobsWritten(daemon.dataRoot, 2);
    daemon.process.kill('SIGKILL');
    await waitExit(daemon.process);
    await exitOf(client);

    daemon = await startDaemon({ dir: daemon.dir });
    const images = await dockerRun('images', '-a', '-q');
    assert.equal(images.stdout, '', 'no half image');
    const content = join(daemon.dataRoot, 'content');
    assert.deepEqual(await readdir(join(content, 'ingest')), []);
    assert.deepEqual(
      await readdir(join(content, 'blobs/sha256')),
      [],
      'everything only the lease held is gone',
    );
    const snapshots = JSON.parse(await readFile(join(daemon.dataRoot, 'overlay2/metadata.json'), 'utf8'));
    assert.deepEqual(snapshots.snapshots, {});
    assert.deepEqual(await readdir(join(daemon.dataRoot, 'overlay2/snapshots')), []);

    const again = await dockerRun('load', '-i', archivePath);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'Loaded image: crash/large:1\n');
    const id = await dockerRun('image', 'inspect', '-f', '{{.Id}} {{len .RootFS.Layers}}', 'crash/large:1');
    assert.equal(id.stdout.trim(), `${archive.id} 4`);
  });
});

/** Waits until the daemon has committed `count` large blobs: the load is well under way. */
async function untilBlobsWritten(dataRoot: string, count: number): Promise<void> {
  const dir = join(dataRoot, 'content/blobs/sha256');
  for (const end = Date.now() + 60_000; Date.now() < end; ) {
    const names = await readdir(dir).catch(() => []);
    const sizes = await Promise.all(
      names.map((name) =>
        stat(join(dir, name)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    if (sizes.filter((size) => size > 10 * MB).length >= count) return;
    await sleep(10);
  }
  throw new Error('the load did not get going');
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', resolve));
}
