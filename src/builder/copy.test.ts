import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTar } from '../snapshots/tar/build.js';
import { unpackContext } from './context.js';
import { type CopyRequest, planCopy } from './copy.js';
import { PatternMatcher } from './dockerignore.js';

describe('COPY planning', () => {
  let dir: string;
  let ctx: string;
  let image: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-copy-'));
    ctx = join(dir, 'ctx');
    image = join(dir, 'image');
    await mkdir(join(ctx, 'src', 'sub'), { recursive: true });
    await writeFile(join(ctx, 'src', 'a.txt'), 'a');
    await writeFile(join(ctx, 'src', 'b.txt'), 'b');
    await writeFile(join(ctx, 'src', 'sub', 'c.txt'), 'c');
    await writeFile(join(ctx, 'secret'), 's');
    await mkdir(join(image, 'existing'), { recursive: true });
    await mkdir(join(image, 'tmp'));
    await chmod(join(image, 'tmp'), 0o1777);
    // A symlink in the image that points at the host's root must stay inside the image.
    await symlink('/', join(image, 'escape'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const request = (sources: string[], dest: string, more: Partial<CopyRequest> = {}): CopyRequest => ({
    instruction: 'COPY',
    srcRoot: ctx,
    ignore: new PatternMatcher(['secret']),
    fromContext: true,
    sources,
    dest,
    destRoot: image,
    extractArchives: false,
    ...more,
  });
  const paths = async (r: CopyRequest) => (await planCopy(r)).entries.map((e) => `${e.type[0]} ${e.path}`);

  it('copies a directory’s contents, not the directory itself', async () => {
    assert.deepEqual(await paths(request(['src'], '/dst')), [
      'd dst',
      'f dst/a.txt',
      'f dst/b.txt',
      'd dst/sub',
      'f dst/sub/c.txt',
    ]);
  });

  it('puts a file into a destination ending in / or an existing directory, else names it', async () => {
    assert.deepEqual(await paths(request(['src/a.txt'], '/new/')), ['d new', 'f new/a.txt']);
    assert.deepEqual(await paths(request(['src/a.txt'], '/existing')), ['d existing', 'f existing/a.txt']);
    assert.deepEqual(await paths(request(['src/a.txt'], '/renamed')), ['f renamed']);
  });

  it('expands globs and requires a directory for several sources', async () => {
    assert.deepEqual(await paths(request(['src/*.txt'], '/g/')), ['d g', 'f g/a.txt', 'f g/b.txt']);
    await assert.rejects(planCopy(request(['src/a.txt', 'src/b.txt'], '/existing')), {
      message:
        'When using COPY with more than one source file, the destination must be a directory and end with a /',
    });
    await assert.rejects(planCopy(request(['src/*.txt'], '/file')), {
      message:
        'When using COPY with more than one source file, the destination must be a directory and end with a /',
    });
    await assert.rejects(planCopy(request(['src/*.nope'], '/x/')), {
      message: 'COPY failed: no source files were specified',
    });
  });

  it('keeps the mode of existing parents and resolves symlinks inside the image', async () => {
    const plan = await planCopy(request(['src/a.txt'], '/tmp/x/'));
    assert.equal(plan.entries.find((e) => e.path === 'tmp')?.mode, 0o1777);
    assert.deepEqual(await paths(request(['src/a.txt'], '/escape/etc/')), ['d etc', 'f etc/a.txt']);
  });

  it('refuses what .dockerignore excludes and paths that climb out of the context', async () => {
    await assert.rejects(planCopy(request(['secret'], '/x')), {
      message:
        'COPY failed: file not found in build context or excluded by .dockerignore: stat secret: file does not exist',
    });
    assert.deepEqual(await paths(request(['../../src/a.txt'], '/a')), ['f a']);
  });

  it('hashes content, so an edit changes the hash and the destination does not', async () => {
    const before = (await planCopy(request(['src'], '/one'))).hash;
    assert.equal((await planCopy(request(['src'], '/two/'))).hash, before);
    await writeFile(join(ctx, 'src', 'sub', 'c.txt'), 'changed');
    assert.notEqual((await planCopy(request(['src'], '/one'))).hash, before);
    assert.match(before, /^dir:[0-9a-f]{64}$/);
  });
});

describe('build context', () => {
  it('refuses a context over the size limit and names a missing Dockerfile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-context-'));
    try {
      const tar = buildTar([{ name: 'big', body: Buffer.alloc(8192) }]);
      await assert.rejects(
        unpackContext(chunks(tar), join(dir, 'a'), { dockerfile: 'Dockerfile', maxSize: 4096 }),
        {
          message: 'build context is larger than the limit of 4096 bytes',
        },
      );
      await assert.rejects(unpackContext(chunks(tar), join(dir, 'b'), { dockerfile: 'Dockerfile' }), {
        message: 'Cannot locate specified Dockerfile: Dockerfile',
      });
      // A context entry that climbs out of the context directory is refused, nothing written outside.
      const evil = buildTar([{ name: '../outside.txt', body: 'x' }]);
      await assert.rejects(unpackContext(chunks(evil), join(dir, 'c', 'ctx'), { dockerfile: 'Dockerfile' }));
      await assert.rejects(readFile(join(dir, 'c', 'outside.txt')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function* chunks(buffer: Buffer): AsyncGenerator<Buffer> {
  yield buffer;
}
