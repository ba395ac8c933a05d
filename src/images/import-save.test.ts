import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createGzip } from 'node:zlib';
import { readTar } from '../snapshots/tar/reader.js';
import { fixturesMissing } from '../testing/paths.js';
import { FIXTURE_IDS, type ImageFixture, imageFixture, loadFixture, openTestImages } from './testing.js';

const skip = process.getuid?.() !== 0 ? 'needs root (overlay snapshots)' : fixturesMissing;
// The diff ID of busybox-rootfs.tar, as dockerd 20.10 imported it.
const ROOTFS_DIFF_ID = 'sha256:e42fcb45f305dd7a125ad7255dec771e373e32ec028892fbf339d2dc78b8dbe3';

/** An archive's files by name. */
async function archiveFiles(archive: AsyncIterable<Buffer>): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for await (const entry of readTar(Readable.from(archive))) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry.body()) chunks.push(chunk);
    files.set(entry.header.name, Buffer.concat(chunks));
  }
  return files;
}

describe('import and save', { skip }, () => {
  let fx: ImageFixture;
  beforeEach(async () => {
    fx = await openTestImages();
  });
  afterEach(() => fx.cleanup());

  it('imports a rootfs tar, plain or gzip, with changes and a message', async () => {
    const rootfs = imageFixture('busybox-rootfs.tar')!;
    const id = await fx.service.import(createReadStream(rootfs), {
      repo: 'imp:1',
      message: 'hello',
      changes: ['CMD ["sh"]', 'ENV A=b', 'WORKDIR /w'],
    });
    const image = await fx.service.inspect('imp:1');
    assert.equal(image.id, id);
    assert.deepEqual(image.rootFS.layers, [ROOTFS_DIFF_ID]);
    assert.equal(image.size, 1985581);
    assert.equal(image.comment, 'hello');
    assert.equal(image.dockerVersion, 'test');
    assert.deepEqual([image.config.Cmd, image.config.Env, image.config.WorkingDir], [['sh'], ['A=b'], '/w']);
    assert.notEqual(image.lastTagTime, '0001-01-01T00:00:00Z');
    const [step] = await fx.service.history('imp:1');
    assert.deepEqual([step?.comment, step?.size, step?.createdBy], ['hello', 1985581, '']);
    assert.deepEqual(
      fx.events.map((e) => e.Action),
      ['tag', 'import'],
    );
    const gzipped = createReadStream(rootfs).pipe(createGzip());
    const other = await fx.service.import(gzipped, { repo: 'gz', tag: '1' });
    assert.deepEqual((await fx.service.inspect('gz:1')).rootFS.layers, [ROOTFS_DIFF_ID]);
    assert.notEqual(other, id, 'another config (created time, no changes)');
  });

  it("checks the name and changes before reading the body, with dockerd's messages", async () => {
    const never: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => {
        throw new Error('the body must not be read');
      },
    };
    await assert.rejects(
      fx.service.import(never, { changes: ['FOO bar'] }),
      /foo is not a valid change command/,
    );
    await assert.rejects(
      fx.service.import(never, { repo: `a@${FIXTURE_IDS.busybox}` }),
      /cannot import digest reference/,
    );
    await assert.rejects(fx.service.import(never, { repo: 'Bad:x' }), /must be lowercase/);
    assert.equal(fx.service.count(), 0);
  });

  it('saves an OCI layout with manifest.json that loads back with the same ID and manifest', async () => {
    await loadFixture(fx.service, imageFixture('busybox.docker-archive.tar')!);
    await loadFixture(fx.service, imageFixture('layers.oci-archive.tar')!);
    await fx.service.tag('busybox', 'bb', 't2');
    const files = await archiveFiles(await fx.service.save(['fixture/layers', 'busybox']));
    assert.deepEqual(
      [...files.keys()].filter((name) => !/^blobs\/sha256\/./.test(name)),
      ['blobs/', 'blobs/sha256/', 'index.json', 'manifest.json', 'oci-layout', 'repositories'],
    );
    const manifest = JSON.parse(String(files.get('manifest.json')));
    assert.deepEqual(
      manifest.map((item: { RepoTags: string[] }) => item.RepoTags),
      [['fixture/layers:latest'], ['busybox:latest']],
      'a bare repository name saves all its tags',
    );
    const index = JSON.parse(String(files.get('index.json')));
    assert.equal(
      index.manifests[0].digest,
      'sha256:d28d2d20de0894cfd60857a438cf9b6e8fda962f27a4729e6907ddf759dbcf43',
    );
    assert.equal(
      index.manifests[0].annotations['io.containerd.image.name'],
      'docker.io/fixture/layers:latest',
    );
    assert.deepEqual(fx.events.filter((e) => e.Action === 'save').length, 2);

    const archive = await fx.service.save(['fixture/layers:latest', FIXTURE_IDS.busybox]);
    await fx.service.remove('fixture/layers');
    await fx.service.remove('busybox', { force: true });
    await fx.service.remove('bb:t2');
    assert.equal(fx.service.count(), 0);
    const messages: string[] = [];
    await fx.service.load(Readable.from(archive), { reporter: { message: (text) => messages.push(text) } });
    // dockerd's quirk, kept: the last image has no tag, so every ID is listed too.
    assert.deepEqual(messages, [
      'Loaded image: fixture/layers:latest\n',
      `Loaded image ID: ${FIXTURE_IDS.layers}\nLoaded image ID: ${FIXTURE_IDS.busybox}\n`,
    ]);
    const layers = await fx.service.inspect('fixture/layers');
    assert.equal(layers.id, FIXTURE_IDS.layers);
    assert.equal((await fx.service.inspect(FIXTURE_IDS.busybox)).repoTags.length, 0, 'saved by ID: no tag');
  });

  it('refuses to save names it does not know, before writing anything', async () => {
    await assert.rejects(fx.service.save(['nope']), /No such image: nope/);
    await assert.rejects(fx.service.save(['nope:1']), /No such image: nope:1/);
    await assert.rejects(fx.service.save([]), /no images to save/);
  });
});
