import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GO_MARSHAL_JSON } from '../../format/index.js';
import { imageRows, isDangling } from './image-rows.js';
import type { ImageSummary } from './types.js';

const NOW = Date.UTC(2024, 0, 2) + 0;
const DIGEST = `sha256:${'d'.repeat(64)}`;
const image = (fields: Partial<ImageSummary>): ImageSummary => ({
  Id: `sha256:${'a'.repeat(64)}`,
  Created: NOW / 1000 - 7200,
  Size: 1_985_581,
  SharedSize: -1,
  Containers: -1,
  ...fields,
});
const options = { trunc: true, showDigests: false, needDigest: false, now: NOW };
const pick = (rows: Record<string, string>[]) => rows.map((r) => `${r.Repository}|${r.Tag}|${r.Digest}`);

describe('image rows, as docker lays them out', () => {
  it('gives a row per repository and tag, with docker column values', () => {
    const rows = imageRows(
      [image({ RepoTags: ['busybox:latest', 'busybox:1', 'localhost:5000/x/y:z'] })],
      options,
    );
    assert.deepEqual(pick(rows), [
      'busybox|latest|<none>',
      'busybox|1|<none>',
      'localhost:5000/x/y|z|<none>',
    ]);
    const [row] = rows;
    assert.equal(row!.ID, 'aaaaaaaaaaaa');
    assert.equal(row!.Size, '1.99MB');
    assert.equal(row!.VirtualSize, '1.986MB');
    assert.equal(row!.CreatedSince, '2 hours ago');
    assert.equal(row!.Containers, 'N/A');
    assert.equal(row!.SharedSize, 'N/A');
  });

  it('pairs tags with digests when digests are asked for, and lists digest-only repositories', () => {
    const img = image({
      RepoTags: ['busybox:latest'],
      RepoDigests: [`busybox@${DIGEST}`, `other@${DIGEST}`],
    });
    assert.deepEqual(pick(imageRows([img], options)), ['busybox|latest|<none>', 'other|<none>|']);
    assert.deepEqual(pick(imageRows([img], { ...options, showDigests: true, needDigest: true })), [
      `busybox|latest|${DIGEST}`,
      `other|<none>|${DIGEST}`,
    ]);
  });

  it('shows dangling images as <none>', () => {
    const dangling = image({ RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] });
    assert.ok(isDangling(dangling));
    assert.deepEqual(pick(imageRows([dangling], options)), ['<none>|<none>|<none>']);
  });

  it('marshals rows to JSON with sorted keys and HTML escapes, as Go does', () => {
    const [row] = imageRows([image({})], { ...options, trunc: false });
    const json = row![GO_MARSHAL_JSON]();
    assert.ok(json.startsWith('{"Containers":"N/A","CreatedAt":'), json);
    assert.ok(json.includes('"Digest":"\\u003cnone\\u003e"'), json);
  });
});
