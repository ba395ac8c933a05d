import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  DockerMediaType,
  isForeignLayerMediaType,
  isIndexMediaType,
  isLayerMediaType,
  OciMediaType,
} from './descriptor.js';
import { createDigester, digestHex, digestOfStream, isDigest, parseDigest, sha256Of } from './digest.js';
import { ErrorKind, isKind } from './errors.js';

// sha256 of the empty string, as every registry knows it.
const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('digests', () => {
  it('hashes bytes, strings and streams alike', async () => {
    assert.equal(sha256Of(new Uint8Array(0)), EMPTY);
    assert.equal(sha256Of('abc'), sha256Of(Buffer.from('abc')));
    const digester = createDigester();
    digester.update(Buffer.from('a'));
    digester.update(Buffer.from('bc'));
    assert.equal(digester.size, 3);
    assert.equal(digester.digest(), sha256Of('abc'));
    assert.deepEqual(await digestOfStream(Readable.from([Buffer.from('ab'), Buffer.from('c')])), {
      digest: sha256Of('abc'),
      size: 3,
    });
  });

  it('parses valid digests and gives go-digest’s errors for the rest', () => {
    assert.equal(parseDigest(EMPTY), EMPTY);
    assert.equal(digestHex(parseDigest(EMPTY)), EMPTY.slice(7));
    const cases: [string, string][] = [
      ['', 'invalid checksum digest format'],
      ['sha256', 'invalid checksum digest format'],
      ['sha256:', 'invalid checksum digest format'],
      ['sha256:abc', 'invalid checksum digest length'],
      [`sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
      [`sha256:${'g'.repeat(64)}`, 'invalid checksum digest format'],
      [`sha512:${'a'.repeat(128)}`, 'unsupported digest algorithm'],
      [`SHA256:${'a'.repeat(64)}`, 'invalid checksum digest format'],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseDigest(input),
        (err) => isKind(err, ErrorKind.InvalidArgument) && (err as Error).message === message,
        input,
      );
    }
  });

  it('tells digests from other strings without throwing', () => {
    assert.equal(isDigest(EMPTY), true);
    assert.equal(isDigest(EMPTY.toUpperCase()), false);
    assert.equal(isDigest(42), false);
  });
});

describe('media types', () => {
  it('classifies Docker and OCI types', () => {
    assert.equal(isIndexMediaType(DockerMediaType.manifestList), true);
    assert.equal(isIndexMediaType(OciMediaType.manifest), false);
    assert.equal(isLayerMediaType(OciMediaType.layerZstd), true);
    assert.equal(isForeignLayerMediaType(DockerMediaType.foreignLayerGzip), true);
    assert.equal(isForeignLayerMediaType(DockerMediaType.layerGzip), false);
  });
});
