import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURE_IDS, imageFixture } from '../images/testing.js';
import { mountAll, unmount } from '../snapshots/mount.js';
import { listTree } from '../snapshots/tree-listing.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const skip = !docker
  ? 'no docker CLI on this machine'
  : process.getuid?.() !== 0
    ? 'needs root'
    : fixturesMissing;

interface Inspect {
  Id: string;
  RepoTags: string[];
  Architecture: string;
  Size: number;
  Comment: string;
  Config: { Cmd: string[]; Env: string[]; WorkingDir: string; ExposedPorts?: Record<string, object> };
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: string; Layers: string[] };
}

describe('images through the real Docker CLI', { skip }, () => {
  let daemon: TestDaemon;
  const dockerRun = (...args: string[]) => runCommand(docker!, ['-H', daemon.host, ...args]);
  const ok = async (...args: string[]) => {
    const result = await dockerRun(...args);
    assert.equal(result.code, 0, `docker ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const inspect = async (name: string) => (JSON.parse(await ok('image', 'inspect', name)) as Inspect[])[0]!;
  const load = (file: string) => ok('load', '-i', imageFixture(file)!);

  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon?.stop();
  });

  it('docker load -i takes every fixture; IDs are the config digests of the README', async () => {
    assert.equal(await load('busybox.docker-archive.tar'), 'Loaded image: busybox:latest\n');
    assert.equal(await load('layers.docker-archive.tar'), 'Loaded image: fixture/layers:latest\n');
    assert.equal(await load('layers.dockerd-save.tar'), 'Loaded image: fixture/layers-dockerd:latest\n');
    assert.equal(await load('layers.oci-archive.tar'), 'Loaded image: fixture/layers:latest\n');
    assert.equal(await load('multiarch.oci-archive.tar'), 'Loaded image: fixture/multiarch:latest\n');
    const ids = await ok('images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
    assert.deepEqual(ids.trim().split('\n').sort(), [
      `busybox:latest ${FIXTURE_IDS.busybox}`,
      `fixture/layers-dockerd:latest ${FIXTURE_IDS.layersDockerd}`,
      `fixture/layers:latest ${FIXTURE_IDS.layers}`,
      `fixture/multiarch:latest ${FIXTURE_IDS.multiarchAmd64}`,
    ]);
    assert.match(await ok('info'), /^ Images: 4$/m);
  });

  it('docker images, history and inspect show docker’s fields', async () => {
    const table = await ok('images', 'fixture/layers');
    assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(table, /^fixture\/layers\s+latest\s+5228ba304284\s+.+ago\s+3\.97MB$/m);
    const history = await ok('history', '--format', '{{.ID}}|{{.Size}}|{{.Comment}}', 'fixture/layers');
    assert.deepEqual(history.trim().split('\n').slice(0, 2), [
      '5228ba304284|0B|FROM 69bf7a801dbc',
      '<missing>|0B|FROM 7f7c5877ec0c',
    ]);
    assert.equal(history.trim().split('\n').length, 10);
    const image = await inspect('fixture/layers');
    assert.equal(image.Id, FIXTURE_IDS.layers);
    assert.deepEqual(image.RepoTags, ['fixture/layers:latest']);
    assert.equal(image.Size, 3967854);
    assert.equal(image.Comment, 'FROM 69bf7a801dbc');
    assert.deepEqual(image.Config.Cmd, ['cat', '/d/c']);
    assert.equal(image.Config.WorkingDir, '/d');
    assert.ok(image.Config.Env.includes('FOO=bar'));
    assert.deepEqual(Object.keys(image.Config.ExposedPorts ?? {}), ['80/tcp']);
    assert.equal(image.GraphDriver.Name, 'overlay2');
    assert.deepEqual(Object.keys(image.GraphDriver.Data), ['LowerDir', 'MergedDir', 'UpperDir', 'WorkDir']);
    assert.ok(image.GraphDriver.Data['UpperDir']?.startsWith(daemon.dataRoot));
    assert.equal(image.RootFS.Type, 'layers');
    assert.equal(image.RootFS.Layers.length, 3);
  });

  it('unpacks the layered image to the exact tree, and the multiarch one for amd64', async () => {
    const tree = await imageTree(await inspect('fixture/layers'));
    const busybox = await imageTree(await inspect('busybox'));
    const ours = [...tree].filter(([path]) => !busybox.has(path) || busybox.get(path) !== tree.get(path));
    assert.deepEqual(
      ours.map(
        ([path, description]) => `${path} ${description.replace(/ mtime=\d+/, '').replace(/ sha=\w+/, '')}`,
      ),
      [
        'd dir 755 0:0 opaque=-',
        'd/c file 644 65534:65534 size=2 nlink=2 inode-of=d/c cap=-',
        'd/hard file 644 65534:65534 size=2 nlink=2 inode-of=d/c cap=-',
        // buildah's RUN left these (and touched the times of dev, proc, run, sys).
        'dev dir 755 0:0 opaque=-',
        'emptydir dir 755 0:0 opaque=-',
        'etc dir 755 0:0 opaque=-',
        'etc/hostname file 755 0:0 size=0 nlink=1 inode-of=etc/hostname cap=-',
        'etc/hosts file 755 0:0 size=0 nlink=1 inode-of=etc/hosts cap=-',
        'etc/resolv.conf file 755 0:0 size=0 nlink=1 inode-of=etc/resolv.conf cap=-',
        'fifo fifo 644 0:0',
        'keep file 644 0:0 size=5 nlink=1 inode-of=keep cap=-',
        'proc dir 755 0:0 opaque=-',
        'run dir 755 0:0 opaque=-',
        'suid file 4755 0:0 size=1982256 nlink=1 inode-of=suid cap=-',
        'sym symlink 777 0:0 -> /d/c',
        'sys dir 755 0:0 opaque=-',
      ],
    );
    assert.ok(!tree.has('rmme') && !tree.has('d/a') && !tree.has('d/sub'));
    const multiarch = await inspect('fixture/multiarch');
    assert.equal(multiarch.Architecture, 'amd64');
    const arch = await imageTree(multiarch, (root) => readFile(join(root, 'arch.txt'), 'utf8'));
    assert.equal(arch.trim(), 'amd64');
  });

  it('refuses the malicious archive and writes nothing outside the data root', async () => {
    const passwd = await readFile('/etc/passwd');
    const result = await dockerRun('load', '-i', imageFixture('evil.docker-archive.tar')!);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /escapes the layer root/);
    assert.deepEqual(await findEvil(daemon.dataRoot), []);
    assert.deepEqual(await readFile('/etc/passwd'), passwd);
    assert.doesNotMatch(await ok('images', '-a'), /evil/);
  });

  it('docker save | docker load keeps the ID; names resolve like docker', async () => {
    const archive = join(daemon.dir, 'saved.tar');
    await ok('save', '-o', archive, 'fixture/layers', 'busybox:latest');
    await ok('rmi', 'fixture/layers', 'busybox');
    assert.equal(
      await ok('load', '-i', archive),
      'Loaded image: fixture/layers:latest\nLoaded image: busybox:latest\n',
    );
    assert.equal((await inspect('fixture/layers')).Id, FIXTURE_IDS.layers);
    assert.equal((await inspect('busybox')).Id, FIXTURE_IDS.busybox);
    const missing = await dockerRun('save', 'nope:1');
    assert.match(missing.stderr, /No such image: nope:1/);
  });

  it('tag, untag and rmi like docker', async () => {
    await ok('tag', 'busybox', 'bb:t2');
    await ok('tag', 'busybox', 'other/bb:x');
    const conflict = await dockerRun('rmi', '9d3a14749733');
    assert.match(
      conflict.stderr,
      /conflict: unable to delete 9d3a14749733 \(must be forced\) - image is referenced in multiple repositories/,
    );
    assert.equal(await ok('rmi', 'bb:t2'), 'Untagged: bb:t2\n');
    assert.equal(await ok('rmi', 'other/bb:x'), 'Untagged: other/bb:x\n');
    const missing = await dockerRun('rmi', 'busybox:nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error response from daemon: No such image: busybox:nope/);
    assert.match(
      await ok('image', 'inspect', '-f', '{{.Metadata.LastTagTime}}', 'busybox'),
      /^\d{4}-\d\d-\d\d /,
    );
  });

  it('prune removes dangling images and their unused layers and blobs; system df drops', async () => {
    await ok('tag', 'fixture/layers-dockerd', 'fixture/layers');
    assert.match(await ok('images', '--filter', 'dangling=true', '-q'), /^5228ba304284\n$/);
    const before = await diskUsage();
    const blobsBefore = await readdir(join(daemon.dataRoot, 'content/blobs/sha256'));
    const pruned = await ok('image', 'prune', '-f');
    assert.match(
      pruned,
      /^Deleted Images:\ndeleted: sha256:5228ba30.*\ndeleted: sha256:ca8fe1e6.*\ndeleted: sha256:437cc8a6.*\n\nTotal reclaimed space: 1\.982MB\n$/,
    );
    const after = await diskUsage();
    assert.equal(after.LayersSize, before.LayersSize - 1982273);
    const blobsAfter = await readdir(join(daemon.dataRoot, 'content/blobs/sha256'));
    // Its OCI manifest, config and three gzip layers (busybox keeps its own, uncompressed, layer blob).
    assert.equal(blobsAfter.length, blobsBefore.length - 5);
    assert.ok(!blobsAfter.includes(FIXTURE_IDS.layers.slice(7)));
    assert.match(await ok('system', 'df'), /^Images\s+3\s+0\s+/m);
  });

  it('docker import takes a rootfs tar with changes and a message', async () => {
    const id = await ok(
      'import',
      '-m',
      'hello',
      '-c',
      'CMD ["sh"]',
      '-c',
      'ENV A=b',
      imageFixture('busybox-rootfs.tar')!,
      'imp:1',
    );
    const image = await inspect('imp:1');
    assert.equal(image.Id, id.trim());
    assert.equal(image.Comment, 'hello');
    assert.deepEqual([image.Config.Cmd, image.Config.Env], [['sh'], ['A=b']]);
    const bad = await dockerRun('import', '-c', 'FOO bar', imageFixture('busybox-rootfs.tar')!);
    assert.match(bad.stderr, /foo is not a valid change command/);
  });

  it('reports image events', async () => {
    const since = Math.floor(Date.now() / 1000) - 120;
    const events = await ok(
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.ceil(Date.now() / 1000)),
      '--filter',
      'type=image',
      '--format',
      '{{.Action}}',
    );
    const actions = new Set(events.trim().split('\n'));
    for (const action of ['load', 'tag', 'untag', 'delete', 'save', 'import', 'prune'])
      assert.ok(actions.has(action), action);
  });

  /** Mounts the image's layers read-only (from inspect's GraphDriver) and lists or reads them. */
  async function imageTree(image: Inspect): Promise<Map<string, string>>;
  async function imageTree<T>(image: Inspect, read: (root: string) => Promise<T>): Promise<T>;
  async function imageTree(image: Inspect, read?: (root: string) => Promise<unknown>): Promise<unknown> {
    const data = image.GraphDriver.Data;
    const layers = [data['UpperDir'], ...(data['LowerDir']?.split(':') ?? [])].filter(Boolean) as string[];
    const target = await mkdtemp(join(tmpdir(), 'berth-image-tree-'));
    const mount =
      layers.length === 1
        ? { type: 'bind', source: layers[0]!, options: ['ro', 'rbind'] }
        : { type: 'overlay', source: 'overlay', options: [`lowerdir=${layers.join(':')}`] };
    await mountAll([mount], target);
    try {
      return await (read ?? listTree)(target);
    } finally {
      await unmount(target);
      await rm(target, { recursive: true, force: true });
    }
  }

  async function diskUsage(): Promise<{ LayersSize: number }> {
    const response = await runCommand('curl', [
      '-s',
      '--unix-socket',
      daemon.socket,
      'http://berth/system/df',
    ]);
    return JSON.parse(response.stdout) as { LayersSize: number };
  }
});

/** Anything named berth-evil-* where the malicious layer aimed (temp dirs, the root, /etc), outside `dataRoot`. */
async function findEvil(dataRoot: string): Promise<string[]> {
  const found = await runCommand('find', [
    '/tmp',
    '/etc',
    '/',
    '-maxdepth',
    '3',
    '-name',
    'berth-evil-*',
    '-not',
    '-path',
    `${dataRoot}/*`,
  ]);
  return found.stdout.split('\n').filter(Boolean);
}
