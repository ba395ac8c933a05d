import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRegistryAuth, encodeRegistryAuth } from './auth-config.js';
import { parseChallenges } from './challenge.js';
import { registryErrorText } from './tokens.js';

describe('WWW-Authenticate challenges', () => {
  it('reads a Bearer challenge with realm, service and scope', () => {
    const [challenge] = parseChallenges(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    );
    assert.deepEqual(challenge, {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    });
  });

  it('reads Basic, unquoted values and several challenges', () => {
    const challenges = parseChallenges([
      'Basic realm="Registry Realm"',
      'Bearer realm=https://t.example/x,error=invalid_token',
    ]);
    assert.deepEqual(
      challenges.map((c) => [c.scheme, c.params.realm]),
      [
        ['basic', 'Registry Realm'],
        ['bearer', 'https://t.example/x'],
      ],
    );
    assert.equal(challenges[1]?.params.error, 'invalid_token');
  });
});

describe('X-Registry-Auth', () => {
  it('round-trips docker\'s base64url JSON and reads the "auth" field', () => {
    const header = encodeRegistryAuth({ username: 'alice', password: 'p+/=?', serveraddress: 'r.example' });
    assert.deepEqual(decodeRegistryAuth(header), {
      username: 'alice',
      password: 'p+/=?',
      serveraddress: 'r.example',
    });
    const legacy = Buffer.from(
      JSON.stringify({ auth: Buffer.from('bob:pw:with:colons').toString('base64') }),
    ).toString('base64');
    assert.deepEqual(decodeRegistryAuth(legacy), { username: 'bob', password: 'pw:with:colons' });
  });

  it('treats a missing or undecodable header as no credentials, as dockerd does', () => {
    assert.deepEqual(decodeRegistryAuth(undefined), {});
    assert.deepEqual(decodeRegistryAuth('e30='), {});
    assert.deepEqual(decodeRegistryAuth('!!not base64 json'), {});
  });
});

describe('registry error bodies', () => {
  it("words an error code as distribution's errcode does", () => {
    const body = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    assert.equal(registryErrorText(body), 'manifest unknown: manifest unknown');
    assert.equal(registryErrorText('<html>'), undefined);
  });
});
