import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { imageFixture } from '../images/testing.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const skip = !docker
  ? 'no docker CLI on this machine'
  : process.getuid?.() !== 0
    ? 'needs root'
    : fixturesMissing;

interface DfContainer {
  Names: string[];
  Command: string;
  SizeRw?: number;
  SizeRootFs?: number;
  State: string;
}
interface DiskUsage {
  LayersSize: number;
  Images: { RepoTags: string[]; Size: number; SharedSize: number; Containers: number }[] | null;
  Containers: DfContainer[] | null;
  Volumes: unknown[] | null;
  BuildCache: unknown[] | null;
  message?: string;
}

describe('GET /system/df with containers', { skip }, () => {
  let daemon: TestDaemon;
  const ok = async (...args: string[]) => {
    const result = await runCommand(docker!, ['-H', daemon.host, ...args]);
    assert.equal(result.code, 0, `docker ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const df = async (query = '') => {
    const url = `http://berth/v1.45/system/df${query}`;
    const response = await runCommand('curl', ['-s', '--unix-socket', daemon.socket, url]);
    return JSON.parse(response.stdout) as DiskUsage;
  };

  before(async () => {
    daemon = await startDaemon();
    await ok('load', '-i', imageFixture('busybox.docker-archive.tar')!);
    await ok('create', '--name', 'idle', 'busybox', 'true');
    await ok('run', '--name', 'writer', '--network', 'none', 'busybox', 'sh', '-c', 'echo hello > /f');
  });
  after(async () => {
    await daemon?.stop();
  });

  it('lists containers with their writable size and root size, and images with their container count', async () => {
    const usage = await df();
    const busybox = usage.Images!.find((image) => image.RepoTags.includes('busybox:latest'))!;
    assert.equal(busybox.Containers, 2);
    assert.equal(usage.LayersSize, busybox.Size);
    const byName = new Map(usage.Containers!.map((c) => [c.Names[0], c]));
    const writer = byName.get('/writer')!;
    assert.equal(writer.State, 'exited');
    assert.equal(writer.Command, "sh -c 'echo hello > /f'", 'dockerd quotes arguments with spaces');
    assert.equal(writer.SizeRw, 'hello\n'.length);
    assert.equal(writer.SizeRootFs, busybox.Size + 'hello\n'.length);
    const idle = byName.get('/idle')!;
    assert.equal('SizeRw' in idle, false, 'an empty writable layer is omitted, as dockerd omits it');
    assert.equal(idle.SizeRootFs, busybox.Size);
    assert.deepEqual([usage.Volumes, usage.BuildCache], [[], []]);
  });

  it('answers only the types asked for, and names an unknown type', async () => {
    const usage = await df('?type=container');
    assert.equal(usage.Images, null);
    assert.equal(usage.Volumes, null);
    assert.equal(usage.Containers!.length, 2);
    assert.equal((await df('?type=disks')).message, 'unknown object type: disks');
  });

  it('shows the writable size in docker system df -v', async () => {
    const out = await ok(
      'system',
      'df',
      '-v',
      '--format',
      '{{range .Containers}}{{.Names}} {{.Size}}\n{{end}}',
    );
    assert.deepEqual(out.trim().split('\n').sort(), ['idle 0B', 'writer 6B']);
  });
});
