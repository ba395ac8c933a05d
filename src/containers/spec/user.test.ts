import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorKind, kindOf } from '../../core/errors.js';
import { mergeImageEnv, processEnv, replaceOrAppendEnv } from './env.js';
import { resolveUser } from './user.js';

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'app:x:1000:1000::/home/app:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
].join('\n');
const group = [
  'root:x:0:',
  'wheel:x:10:root,app',
  'audio:x:29:app',
  'app:x:1000:',
  'staff:x:50:',
  'nogroup:x:65534:',
].join('\n');

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return kindOf(err);
  }
  return undefined;
};

describe('resolveUser (runc GetExecUserPath + dockerd getUser)', () => {
  it('defaults to root with the groups root is a member of', () => {
    assert.deepEqual(resolveUser('', [], passwd, group), { uid: 0, gid: 0, additionalGids: [0, 10] });
  });
  it('resolves a name to its uid, gid and member groups', () => {
    assert.deepEqual(resolveUser('app', [], passwd, group), {
      uid: 1000,
      gid: 1000,
      additionalGids: [1000, 10, 29],
    });
  });
  it('takes a known uid like its name', () => {
    assert.deepEqual(resolveUser('1000', [], passwd, group), {
      uid: 1000,
      gid: 1000,
      additionalGids: [1000, 10, 29],
    });
  });
  it('takes an unknown uid with gid 0 and no groups', () => {
    assert.deepEqual(resolveUser('4242', [], passwd, group), { uid: 4242, gid: 0, additionalGids: [0] });
  });
  it('an explicit group replaces the gid and the member groups', () => {
    assert.deepEqual(resolveUser('app:staff', [], passwd, group), {
      uid: 1000,
      gid: 50,
      additionalGids: [50],
    });
    assert.deepEqual(resolveUser('app:777', [], passwd, group), {
      uid: 1000,
      gid: 777,
      additionalGids: [777],
    });
    assert.deepEqual(resolveUser('4242:4343', [], passwd, group), {
      uid: 4242,
      gid: 4343,
      additionalGids: [4343],
    });
  });
  it('appends --group-add by name or number', () => {
    assert.deepEqual(resolveUser('nobody', ['staff', '4000', 'audio'], passwd, group), {
      uid: 65534,
      gid: 65534,
      additionalGids: [65534, 50, 4000, 29],
    });
  });
  it('refuses unknown names', () => {
    assert.equal(
      failure(() => resolveUser('ghost', [], passwd, group)),
      ErrorKind.InvalidArgument,
    );
    assert.equal(
      failure(() => resolveUser('app:ghosts', [], passwd, group)),
      ErrorKind.InvalidArgument,
    );
    assert.equal(
      failure(() => resolveUser('', ['ghosts'], passwd, group)),
      ErrorKind.InvalidArgument,
    );
  });
  it('works without passwd and group files for numeric ids', () => {
    assert.deepEqual(resolveUser('123:456', [], '', ''), { uid: 123, gid: 456, additionalGids: [456] });
    assert.deepEqual(resolveUser('', [], '', ''), { uid: 0, gid: 0, additionalGids: [0] });
  });
});

describe('environment', () => {
  it('puts request entries first and keeps image entries the request does not set', () => {
    assert.deepEqual(mergeImageEnv(['A=1', 'PATH=/x'], ['PATH=/usr/bin', 'B=2']), ['A=1', 'PATH=/x', 'B=2']);
    assert.deepEqual(mergeImageEnv([], ['B=2']), ['B=2']);
  });
  it('adds PATH, HOSTNAME and, with a TTY, TERM, which configured entries replace', () => {
    assert.deepEqual(processEnv(['FOO=bar'], 'abc', false), [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=abc',
      'FOO=bar',
    ]);
    assert.deepEqual(processEnv(['PATH=/bin', 'TERM=vt100'], 'h', true), [
      'PATH=/bin',
      'HOSTNAME=h',
      'TERM=vt100',
    ]);
  });
  it('removes a key given without "="', () => {
    assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['A', 'C=3']), ['B=2', 'C=3']);
  });
});
