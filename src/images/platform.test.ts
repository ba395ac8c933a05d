import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OciMediaType } from '../core/descriptor.js';
import { sha256Of } from '../core/digest.js';
import { formatPlatform, normalizePlatform, platformRank, selectPlatformManifest } from './platform.js';

const entry = (architecture: string, variant?: string, os = 'linux') => ({
  mediaType: OciMediaType.manifest,
  digest: sha256Of(`${os}/${architecture}/${variant}`),
  size: 1,
  platform: { os, architecture, ...(variant ? { variant } : {}) },
});

describe('platforms', () => {
  it('normalise architectures and variants as containerd does', () => {
    assert.deepEqual(normalizePlatform({ os: 'Linux', architecture: 'x86_64' }), {
      os: 'linux',
      architecture: 'amd64',
    });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'aarch64' }), {
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'armhf' }), {
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
    });
  });

  it('pick the host platform from an index, never an attestation', () => {
    const amd64 = { os: 'linux', architecture: 'amd64' };
    const manifests = [{ ...entry('unknown', undefined, 'unknown') }, entry('arm64', 'v8'), entry('amd64')];
    assert.equal(selectPlatformManifest(manifests, amd64), manifests[2]);
    assert.equal(selectPlatformManifest([entry('arm64')], amd64), undefined);
    assert.equal(selectPlatformManifest([{ ...entry('amd64'), platform: undefined }], amd64), undefined);
  });

  it('let an arm/v7 host run v6 images, preferring v7', () => {
    const host = { os: 'linux', architecture: 'arm', variant: 'v7' };
    assert.equal(platformRank({ os: 'linux', architecture: 'arm', variant: 'v6' }, host), 1);
    assert.equal(platformRank({ os: 'linux', architecture: 'arm', variant: 'v8' }, host), undefined);
    const manifests = [entry('arm', 'v6'), entry('arm', 'v7')];
    assert.equal(selectPlatformManifest(manifests, host), manifests[1]);
    assert.equal(formatPlatform(host), 'linux/arm/v7');
  });
});
