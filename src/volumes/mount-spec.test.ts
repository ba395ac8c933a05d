import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { parseMountSpec, parseTmpfsSpec, parseVolumeSpec } from './mount-spec.js';
import { toOciMount } from './oci-mounts.js';

describe('-v', () => {
  it('reads anonymous volumes, named volumes and binds with their modes', () => {
    assert.deepEqual(parseVolumeSpec('/data'), {
      type: 'volume',
      source: '',
      target: '/data',
      readOnly: false,
    });
    assert.deepEqual(parseVolumeSpec('db:/var/lib/db:ro,nocopy'), {
      type: 'volume',
      source: 'db',
      target: '/var/lib/db',
      readOnly: true,
      noCopy: true,
    });
    assert.deepEqual(parseVolumeSpec('/srv//www/:/www/:ro,Z,rshared'), {
      type: 'bind',
      source: '/srv/www/',
      target: '/www',
      readOnly: true,
      selinuxLabel: 'Z',
      propagation: 'rshared',
    });
    assert.equal(parseVolumeSpec('/a:/b:rw,cached').readOnly, false);
  });

  it('refuses what Docker refuses', () => {
    for (const bad of [
      'relative',
      '/a:relative',
      '/a:/',
      '/data:ro',
      'a:b:c:d',
      'vol:/x:rshared',
      '/h:/x:nocopy',
      '/h:/x:bogus',
      ':/x',
    ]) {
      assert.throws(
        () => parseVolumeSpec(bad),
        (err) => isKind(err, 'InvalidArgument'),
        bad,
      );
    }
  });
});

describe('--mount', () => {
  it('reads every kind with its options', () => {
    assert.deepEqual(
      parseMountSpec('type=bind,src=/h,dst=/c,readonly,bind-propagation=rslave,bind-nonrecursive'),
      {
        type: 'bind',
        source: '/h',
        target: '/c',
        readOnly: true,
        propagation: 'rslave',
        nonRecursive: true,
      },
    );
    assert.deepEqual(
      parseMountSpec(
        'type=volume,source=v,target=/d,volume-nocopy,volume-label=a=b,"volume-opt=o=size=1m,uid=1",volume-opt=type=tmpfs',
      ),
      {
        type: 'volume',
        source: 'v',
        target: '/d',
        readOnly: false,
        noCopy: true,
        volumeLabels: { a: 'b' },
        volumeOptions: { o: 'size=1m,uid=1', type: 'tmpfs' },
      },
    );
    assert.deepEqual(parseMountSpec('type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1770,ro=false'), {
      type: 'tmpfs',
      source: '',
      target: '/run',
      readOnly: false,
      tmpfsSize: 64 * 1024 * 1024,
      tmpfsMode: 0o1770,
    });
    assert.equal(parseMountSpec('target=/anon').type, 'volume');
  });

  it('refuses what Docker refuses', () => {
    for (const bad of [
      'type=bind,dst=/c',
      'src=v',
      'type=nfs,dst=/x',
      'type=tmpfs,src=x,dst=/x',
      'type=bind,src=/h,dst=/c,volume-nocopy',
      'dst=/x,bogus=1',
      'dst=/x,readonly=maybe',
      'dst=/x,"unterminated',
    ]) {
      assert.throws(
        () => parseMountSpec(bad),
        (err) => isKind(err, 'InvalidArgument'),
        bad,
      );
    }
  });
});

describe('OCI mount entries', () => {
  it('binds volumes and host paths recursively and privately unless told otherwise', () => {
    assert.deepEqual(toOciMount(parseVolumeSpec('v:/data:ro'), '/var/lib/berth/volumes/v/_data'), {
      destination: '/data',
      type: 'bind',
      source: '/var/lib/berth/volumes/v/_data',
      options: ['rbind', 'ro', 'rprivate'],
    });
    assert.deepEqual(
      toOciMount(parseMountSpec('type=bind,src=/h,dst=/c,bind-propagation=shared,bind-nonrecursive')).options,
      ['bind', 'rw', 'shared'],
    );
  });

  it('gives tmpfs mounts nosuid, nodev and noexec unless overridden, plus size and mode', () => {
    assert.deepEqual(toOciMount(parseTmpfsSpec('/run:size=64m,exec')), {
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'size=64m', 'exec', 'rw'],
    });
    assert.deepEqual(
      toOciMount(parseMountSpec('type=tmpfs,dst=/t,tmpfs-size=1k,tmpfs-mode=700,readonly')).options,
      ['nosuid', 'nodev', 'noexec', 'size=1024', 'mode=700', 'ro'],
    );
  });
});
