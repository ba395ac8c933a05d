import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Of } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import {
  familiarName,
  familiarString,
  formatReference,
  isImageIdLike,
  parseAnyReference,
  parseDockerRef,
  parseNormalizedNamed,
  parseReference,
  withTag,
} from './reference.js';

const hex = sha256Of('busybox').slice(7);
const dgst = `sha256:${hex}`;

/** input → [parseNormalizedNamed, parseDockerRef, familiarString of the Docker ref] */
const VALID: [string, string, string, string][] = [
  ['busybox', 'docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['library/busybox', 'docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  [
    'index.docker.io/library/busybox:glibc',
    'docker.io/library/busybox:glibc',
    'docker.io/library/busybox:glibc',
    'busybox:glibc',
  ],
  ['user/app', 'docker.io/user/app', 'docker.io/user/app:latest', 'user/app:latest'],
  ['docker.io/user/app:v1', 'docker.io/user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
  ['docker.io/library/a/b', 'docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ['localhost/foo', 'localhost/foo', 'localhost/foo:latest', 'localhost/foo:latest'],
  ['localhost', 'docker.io/library/localhost', 'docker.io/library/localhost:latest', 'localhost:latest'],
  [
    'localhost:5000',
    'docker.io/library/localhost:5000',
    'docker.io/library/localhost:5000',
    'localhost:5000',
  ],
  [
    'localhost:5000/foo/bar:t',
    'localhost:5000/foo/bar:t',
    'localhost:5000/foo/bar:t',
    'localhost:5000/foo/bar:t',
  ],
  ['example.com/foo', 'example.com/foo', 'example.com/foo:latest', 'example.com/foo:latest'],
  ['127.0.0.1:5000/app', '127.0.0.1:5000/app', '127.0.0.1:5000/app:latest', '127.0.0.1:5000/app:latest'],
  ['[::1]:5000/app', '[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
  ['Docker/docker', 'Docker/docker', 'Docker/docker:latest', 'Docker/docker:latest'],
  [
    'dock__er/do-c---ker.x',
    'docker.io/dock__er/do-c---ker.x',
    'docker.io/dock__er/do-c---ker.x:latest',
    'dock__er/do-c---ker.x:latest',
  ],
  [
    'foo/bar:Tag_1.0-rc',
    'docker.io/foo/bar:Tag_1.0-rc',
    'docker.io/foo/bar:Tag_1.0-rc',
    'foo/bar:Tag_1.0-rc',
  ],
  [
    `busybox@${dgst}`,
    `docker.io/library/busybox@${dgst}`,
    `docker.io/library/busybox@${dgst}`,
    `busybox@${dgst}`,
  ],
  [
    `busybox:1@${dgst}`,
    `docker.io/library/busybox:1@${dgst}`,
    `docker.io/library/busybox@${dgst}`,
    `busybox@${dgst}`,
  ],
  [`docker.io/${hex}`, `docker.io/library/${hex}`, `docker.io/library/${hex}:latest`, `${hex}:latest`],
];

const tag128 = 'a'.repeat(128);
const path255 = `a/${'b'.repeat(253)}`;

/** input → exact error message */
const INVALID: [string, string][] = [
  ['', 'invalid reference format'],
  ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
  [
    'docker.io/library/Busybox:latest',
    'invalid reference format: repository name (library/Busybox) must be lowercase',
  ],
  ['docker.io/Library/foo', 'invalid reference format: repository name (Library/foo) must be lowercase'],
  ['docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
  [hex, `invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`],
  ['busybox:', 'invalid reference format'],
  ['busybox:-tag', 'invalid reference format'],
  [`busybox:${tag128}a`, 'invalid reference format'],
  ['busybox@sha256:abc', 'invalid reference format'],
  [`busybox@sha256:${'a'.repeat(40)}`, 'invalid checksum digest length'],
  [`busybox@sha256:${hex.toUpperCase()}`, 'invalid checksum digest format'],
  [`busybox@sha512:${'a'.repeat(128)}`, 'unsupported digest algorithm'],
  ['https://github.com/docker/docker', 'invalid reference format'],
  ['-docker', 'invalid reference format'],
  ['docker///docker', 'invalid reference format'],
  ['dock..er/docker', 'invalid reference format'],
  ['docker/', 'invalid reference format'],
  ['[fc00::1]:5000', 'invalid reference format'],
  ['[fe80::1%eth0]:5000/debian', 'invalid reference format'],
  [`x/${path255}`, 'repository name must not be more than 255 characters'],
];

const f64 = 'f'.repeat(64);

/** parseReference (no normalisation) input → exact error message, from distribution's own tests */
const PARSE_INVALID: [string, string][] = [
  [':justtag', 'invalid reference format'],
  [`@sha256:${f64}`, 'invalid reference format'],
  [`repo@sha256:${'f'.repeat(34)}`, 'invalid checksum digest length'],
  [`validname@invaliddigest:${f64}`, 'unsupported digest algorithm'],
  ['Uppercase:tag', 'repository name must be lowercase'],
  ['test:5000/Uppercase/lowercase:tag', 'repository name must be lowercase'],
  [`domain/${'a'.repeat(256)}:tag`, 'repository name must not be more than 255 characters'],
  ['aa/asdf$$^/aa', 'invalid reference format'],
  ['[2001:db8::1]', 'invalid reference format'],
  ['[2001:db8::1]:5000', 'invalid reference format'],
  ['[fe80::1%@invalidzone]:5000/repo', 'invalid reference format'],
];

describe('image references', () => {
  it('normalises valid references', () => {
    for (const [input, named, dockerRef, familiar] of VALID) {
      assert.equal(formatReference(parseNormalizedNamed(input)), named, input);
      const ref = parseDockerRef(input);
      assert.equal(formatReference(ref), dockerRef, input);
      assert.equal(familiarString(ref), familiar, input);
    }
  });

  it('accepts the longest tag and path', () => {
    assert.equal(parseDockerRef(`busybox:${tag128}`).tag, tag128);
    assert.equal(parseNormalizedNamed(`example.com/${path255}`).path, path255);
  });

  it('gives docker’s error text for invalid references', () => {
    for (const [input, message] of INVALID) {
      assert.throws(
        () => parseNormalizedNamed(input),
        (err) => isKind(err, ErrorKind.InvalidArgument) && (err as Error).message === message,
        `${JSON.stringify(input)} should fail with "${message}"`,
      );
    }
  });

  it('gives distribution’s error text when parsing without normalising', () => {
    for (const [input, message] of PARSE_INVALID) {
      assert.throws(
        () => parseReference(input),
        (err) => isKind(err, ErrorKind.InvalidArgument) && (err as Error).message === message,
        `${JSON.stringify(input)} should fail with "${message}"`,
      );
    }
  });

  it('splits domain and path', () => {
    assert.deepEqual(parseNormalizedNamed('localhost:5000/a/b:c'), {
      domain: 'localhost:5000',
      path: 'a/b',
      tag: 'c',
    });
    assert.deepEqual(parseReference('busybox'), { domain: '', path: 'busybox' });
    assert.throws(() => parseReference('Busybox'), /repository name must be lowercase$/);
    assert.throws(() => parseReference(''), /repository name must have at least one component$/);
  });

  it('shows familiar names', () => {
    assert.equal(familiarName(parseDockerRef('docker.io/library/x')), 'x');
    assert.equal(familiarName(parseDockerRef('docker.io/user/x:1')), 'user/x');
    assert.equal(familiarName(parseDockerRef('ghcr.io/user/x')), 'ghcr.io/user/x');
  });

  it('retags, checking the tag', () => {
    const ref = withTag(parseDockerRef(`busybox@${dgst}`), 'v2');
    assert.equal(formatReference(ref), 'docker.io/library/busybox:v2');
    assert.throws(() => withTag(ref, '.bad'), /invalid tag format$/);
  });

  it('recognises image ids and prefixes', () => {
    for (const id of [hex, dgst, '8a1f', 'sha256:8a1f']) assert.equal(isImageIdLike(id), true, id);
    for (const name of ['busybox', `${hex}0`, 'sha256:', 'ABCD', 'sha512:abcd']) {
      assert.equal(isImageIdLike(name), false, name);
    }
    assert.equal(parseAnyReference(hex), dgst);
    assert.equal(parseAnyReference(dgst), dgst);
    const named = parseAnyReference('busybox');
    assert.ok(typeof named !== 'string');
    assert.equal(formatReference(named), 'docker.io/library/busybox');
  });

  it('stays fast on hostile input', () => {
    const start = performance.now();
    for (const input of [
      `a${'-'.repeat(50_000)}!`,
      `${'a.'.repeat(20_000)}!`,
      `${'a/'.repeat(20_000)}!`,
      `${'a-'.repeat(20_000)}.com/x!`,
      `x/${'a__'.repeat(20_000)}_`,
    ]) {
      assert.throws(() => parseNormalizedNamed(input));
    }
    assert.ok(performance.now() - start < 10_000, 'parsing must not backtrack catastrophically');
  });
});
