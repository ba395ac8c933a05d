import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OciMediaType } from '../core/descriptor.js';
import { sha256Of } from '../core/digest.js';
import type { Image } from '../metadata/images.js';
import {
  danglingName,
  IMAGE_ID_LABEL,
  namesOf,
  parseRecordName,
  recordImageId,
  recordNameFor,
} from './names.js';

const manifest = sha256Of('manifest');
const record = (name: string): Image => ({
  name,
  target: { mediaType: OciMediaType.manifest, digest: manifest, size: 1 },
  labels: { [IMAGE_ID_LABEL]: sha256Of('config') },
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

describe('image record names', () => {
  it('normalise what users type as Docker stores it', () => {
    assert.equal(recordNameFor('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(recordNameFor('docker.io/library/bb:t2'), 'docker.io/library/bb:t2');
    assert.equal(recordNameFor(`bb:1@${manifest}`), `docker.io/library/bb@${manifest}`);
    assert.equal(recordNameFor('localhost:5000/x'), 'localhost:5000/x:latest');
  });

  it('tell tags, digests and placeholders apart', () => {
    assert.equal(parseRecordName('docker.io/library/bb:t2').kind, 'tag');
    assert.equal(parseRecordName(`docker.io/library/bb@${manifest}`).kind, 'digest');
    assert.equal(parseRecordName(danglingName(manifest)).kind, 'dangling');
    assert.equal(parseRecordName(danglingName(manifest).replace('<none>', 'x')).kind, 'digest');
  });

  it('list RepoTags and RepoDigests in order of full name, familiar, without placeholders', () => {
    const names = namesOf([
      record('docker.io/other/bb:x'),
      record(danglingName(manifest)),
      record(`docker.io/library/busybox@${manifest}`),
      record('docker.io/library/busybox:latest'),
    ]);
    assert.deepEqual(names.repoTags, ['busybox:latest', 'other/bb:x']);
    assert.deepEqual(names.repoDigests, [`busybox@${manifest}`]);
    assert.equal(recordImageId(record('x:1')), sha256Of('config'));
  });
});
