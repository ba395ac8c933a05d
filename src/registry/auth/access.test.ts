import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { authorize, createDefaultPolicy, formatScopes, parseScope } from './access.js';
import { createLoginLimiter } from './login-limiter.js';
import { loadSigningKey, signingKeyFromPem } from './signing-key.js';
import { createTokenService } from './tokens.js';

describe('access decisions', () => {
  const policy = createDefaultPolicy({ anonymousPull: true });
  const pull = { type: 'repository', name: 'team/app', action: 'pull' } as const;
  const push = { type: 'repository', name: 'team/app', action: 'push' } as const;

  it('parses and formats token scopes', () => {
    assert.deepEqual(parseScope('repository:a/b:pull,push,bogus'), [
      { type: 'repository', name: 'a/b', action: 'pull' },
      { type: 'repository', name: 'a/b', action: 'push' },
    ]);
    assert.deepEqual(parseScope('registry:catalog:*'), [{ type: 'registry', name: 'catalog', action: '*' }]);
    assert.deepEqual(parseScope('nonsense'), []);
    assert.equal(formatScopes([pull, push]), 'repository:team/app:pull,push');
  });

  it('decides per identity: anonymous, user, token grants', async () => {
    assert.equal(await authorize({ kind: 'anonymous' }, [pull], policy), 'allow');
    assert.equal(await authorize({ kind: 'anonymous' }, [pull, push], policy), 'unauthenticated');
    assert.equal(await authorize({ kind: 'user', name: 'u' }, [pull, push], policy), 'allow');
    const token = { kind: 'user', name: 'u', grants: [pull] } as const;
    assert.equal(await authorize(token, [pull], policy), 'allow');
    assert.equal(await authorize(token, [pull, push], policy), 'insufficient_scope');
    const deny = { allows: () => false };
    assert.equal(await authorize({ kind: 'user', name: 'u' }, [pull], deny), 'denied');
  });

  it('limits failed logins per key within a window', () => {
    let now = 0;
    const limiter = createLoginLimiter({ maxFailures: 2, windowMs: 1000, now: () => now });
    limiter.failed('k');
    limiter.failed('k');
    assert.equal(limiter.allowed('k'), false);
    assert.equal(limiter.allowed('other'), true);
    now = 1000;
    assert.equal(limiter.allowed('k'), true);
  });
});

describe('token keys', () => {
  it('signs RS256 with an RSA key and rejects tokens for another service', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    assert.equal(key.algorithm, 'RS256');
    const options = { key, issuer: 'i', accessTokenSeconds: 60, refreshTokenSeconds: 60 };
    const mine = createTokenService({ ...options, service: 'mine' });
    const theirs = createTokenService({ ...options, service: 'theirs' });
    const { token } = await mine.issueAccessToken('u', [{ type: 'repository', name: 'x', action: 'pull' }]);
    assert.deepEqual((await mine.verifyAccessToken(token)).grants, [
      { type: 'repository', name: 'x', action: 'pull' },
    ]);
    await assert.rejects(theirs.verifyAccessToken(token));
    await assert.rejects(mine.verifyRefreshToken(token));
  });

  it('generates an ES256 key once, private to its owner, and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-registry-key-'));
    try {
      const path = join(dir, 'key.pem');
      const first = await loadSigningKey(path, true);
      assert.equal(first.algorithm, 'ES256');
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await loadSigningKey(path, true)).keyId, first.keyId);
      await assert.rejects(loadSigningKey(join(dir, 'missing.pem'), false));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
