import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ErrorKind, kindOf } from '../core/errors.js';
import { fixturesMissing, imageFixturesDir } from '../testing/paths.js';
import { applyLayer } from './apply.js';
import { dockerArchiveLayers } from './fixture-archive.js';
import { buildTar, type EntrySpec } from './tar/build.js';
import { readTar } from './tar/reader.js';

/** The entries of a tar, bodies included. */
async function entriesOf(tar: Buffer): Promise<EntrySpec[]> {
  const entries: EntrySpec[] = [];
  for await (const { header, body } of readTar(Readable.from([tar]))) {
    const chunks: Buffer[] = [];
    for await (const chunk of body()) chunks.push(chunk);
    entries.push({ ...header, body: Buffer.concat(chunks) });
  }
  return entries;
}

const fileDigest = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/** Names starting with berth-evil- directly in `dir`. */
async function evilNamesIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith('berth-evil-'));
}

describe('applyLayer with a malicious layer', () => {
  let scratch: string;
  let evil: EntrySpec[] = [];
  let passwdBefore = '';
  const byName = (name: string) => evil.find((entry) => entry.name === name)!;
  const apply = async (entries: EntrySpec[]) => {
    const root = await mkdtemp(join(scratch, 'layer-'));
    const result = await applyLayer(root, Readable.from([buildTar(entries)])).catch((err: unknown) => err);
    return { root, result };
  };

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'berth-safety-'));
    passwdBefore = await fileDigest('/etc/passwd');
    if (!fixturesMissing) {
      evil = await entriesOf(
        (await dockerArchiveLayers(join(imageFixturesDir, 'evil.docker-archive.tar')))[0]!,
      );
    }
  });

  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const cases: [string, string[], RegExp][] = [
    [
      'a ../ path',
      ['../../../../tmp/berth-evil-dotdot'],
      /\.\.\/tmp\/berth-evil-dotdot escapes the layer root/,
    ],
    ['a symlink to an absolute directory', ['esc', 'esc/berth-evil-symlink'], /passes through symlink esc/],
    ['a symlink climbing out', ['rel', 'rel/berth-evil-relsymlink'], /passes through symlink rel/],
    [
      'a hard link out of the layer',
      ['hl'],
      /hard link hl target \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd escapes/,
    ],
  ];
  for (const [what, names, message] of cases) {
    it(`refuses ${what}`, { skip: fixturesMissing }, async () => {
      const { result } = await apply(names.map(byName));
      assert.equal(kindOf(result), ErrorKind.InvalidArgument);
      assert.match(String(result), message);
    });
  }

  it('confines an absolute entry to the layer root', { skip: fixturesMissing }, async () => {
    const { root, result } = await apply([byName('/tmp/berth-evil-abs')]);
    assert.ok(!(result instanceof Error), String(result));
    assert.ok((await lstat(join(root, 'tmp/berth-evil-abs'))).isFile());
  });

  it('refuses the whole malicious layer', { skip: fixturesMissing }, async () => {
    const { result } = await apply(evil);
    assert.equal(kindOf(result), ErrorKind.InvalidArgument);
  });

  it('wrote nothing outside the layer directories', { skip: fixturesMissing }, async () => {
    for (const dir of new Set(['/tmp', tmpdir(), scratch, dirname(scratch), '/', '/etc'])) {
      assert.deepEqual(await evilNamesIn(dir), [], `berth-evil-* found in ${dir}`);
    }
    assert.equal(await fileDigest('/etc/passwd'), passwdBefore);
  });
});
