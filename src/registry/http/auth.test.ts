import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { createDefaultPolicy } from '../auth/access.js';
import { createBasicAuthenticator, createTokenAuthenticator } from '../auth/authenticator.js';
import { createUserDirectory } from '../auth/htpasswd.js';
import { createLoginLimiter } from '../auth/login-limiter.js';
import { signingKeyFromPem } from '../auth/signing-key.js';
import { createTokenService } from '../auth/tokens.js';
import { createTestRegistry, errorCode, type TestRegistry } from '../testing/harness.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const users = createUserDirectory(new Map([['alice', bcrypt.hashSync('secret', 4)]]));

describe('htpasswd mode', () => {
  let t: TestRegistry;
  before(async () => {
    t = await createTestRegistry({
      authenticator: createBasicAuthenticator({
        users,
        limiter: createLoginLimiter({ maxFailures: 3, windowMs: 60_000 }),
        realm: 'test-realm',
      }),
      policy: createDefaultPolicy({ anonymousPull: false }),
    });
  });
  after(() => t.close());

  it('challenges anonymous clients with Basic realm', async () => {
    const response = await t.app.inject({ url: '/v2/' });
    assert.equal(response.statusCode, 401);
    assert.equal(response.headers['www-authenticate'], 'Basic realm="test-realm"');
    assert.equal(errorCode(response), 'UNAUTHORIZED');
    assert.equal((await t.app.inject({ url: '/v2/x/tags/list' })).statusCode, 401);
  });

  it('lets a user with the right password in, and rate-limits wrong ones', async () => {
    assert.equal(
      (await t.app.inject({ url: '/v2/', headers: { authorization: basic('alice', 'secret') } })).statusCode,
      200,
    );
    for (let i = 0; i < 3; i++) {
      const wrong = await t.app.inject({ url: '/v2/', headers: { authorization: basic('alice', 'nope') } });
      assert.equal(wrong.statusCode, 401);
    }
    const limited = await t.app.inject({ url: '/v2/', headers: { authorization: basic('alice', 'nope') } });
    assert.equal(limited.statusCode, 429);
    assert.equal(errorCode(limited), 'TOOMANYREQUESTS');
  });
});

describe('an access policy that denies', () => {
  let t: TestRegistry;
  before(async () => {
    t = await createTestRegistry({
      authenticator: createBasicAuthenticator({
        users,
        limiter: createLoginLimiter({ maxFailures: 3, windowMs: 60_000 }),
        realm: 'r',
      }),
      // Alice may pull everything and push nowhere: the hook issue 9's RBAC plugs into.
      policy: { allows: (identity, access) => identity.kind === 'user' && access.action === 'pull' },
    });
  });
  after(() => t.close());

  it('answers a logged-in user without the permission with 403 DENIED', async () => {
    const headers = { authorization: basic('alice', 'secret') };
    const push = await t.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/', headers });
    assert.equal(push.statusCode, 403);
    assert.equal(errorCode(push), 'DENIED');
    const remove = await t.app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/v1', headers });
    assert.equal(errorCode(remove), 'DENIED');
    assert.equal((await t.app.inject({ url: '/v2/team/app/tags/list', headers })).statusCode, 404);
  });
});

describe('token mode', () => {
  let t: TestRegistry;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const tokens = createTokenService({
    key: signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    issuer: 'test-issuer',
    service: 'test-service',
    accessTokenSeconds: 300,
    refreshTokenSeconds: 3600,
  });
  const policy = createDefaultPolicy({ anonymousPull: true });
  before(async () => {
    t = await createTestRegistry({
      authenticator: createTokenAuthenticator({ tokens }),
      policy,
      tokenGrant: {
        tokens,
        users,
        limiter: createLoginLimiter({ maxFailures: 100, windowMs: 1000 }),
        policy,
      },
    });
  });
  after(() => t.close());

  const token = async (scope: string, authorization?: string) => {
    const response = await t.app.inject({
      url: `/token?service=test-service&scope=${encodeURIComponent(scope)}&offline_token=true`,
      ...(authorization ? { headers: { authorization } } : {}),
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as {
      token: string;
      access_token: string;
      refresh_token?: string;
      expires_in: number;
    };
  };

  it('challenges with realm, service and the scope the route needs', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/' });
    assert.equal(response.statusCode, 401);
    assert.equal(
      response.headers['www-authenticate'],
      'Bearer realm="http://localhost:80/token",service="test-service",scope="repository:team/app:pull,push"',
    );
  });

  it('issues tokens whose access claims open exactly the granted repository', async () => {
    const granted = await token('repository:team/app:pull,push', basic('alice', 'secret'));
    assert.ok(granted.refresh_token);
    assert.equal(granted.expires_in, 300);
    const bearer = { authorization: `Bearer ${granted.token}` };
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/', headers: bearer }))
        .statusCode,
      202,
    );
    const other = await t.app.inject({
      method: 'POST',
      url: '/v2/team/other/blobs/uploads/',
      headers: bearer,
    });
    assert.equal(other.statusCode, 401);
    assert.match(String(other.headers['www-authenticate']), /error="insufficient_scope"/);
  });

  it('grants anonymous pull only, and refuses bad passwords and forged tokens', async () => {
    const anonymous = await token('repository:pub:pull,push');
    const bearer = { authorization: `Bearer ${anonymous.token}` };
    assert.equal((await t.app.inject({ url: '/v2/pub/tags/list', headers: bearer })).statusCode, 404);
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/v2/pub/blobs/uploads/', headers: bearer })).statusCode,
      401,
    );
    const badLogin = await t.app.inject({
      url: '/token?service=test-service',
      headers: { authorization: basic('alice', 'x') },
    });
    assert.equal(badLogin.statusCode, 401);
    const forged = await t.app.inject({
      url: '/v2/',
      headers: { authorization: `Bearer ${anonymous.token}x` },
    });
    assert.equal(forged.statusCode, 401);
  });

  it('refuses an unknown OAuth2 grant type', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&service=test-service',
    });
    assert.equal(errorCode(response), 'UNSUPPORTED');
  });

  it('exchanges a refresh token through the OAuth2 POST form', async () => {
    const first = await token('', basic('alice', 'secret'));
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token ?? '',
        service: 'test-service',
        scope: 'repository:team/app:pull',
        client_id: 'docker',
      }).toString(),
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json() as { access_token: string; scope: string };
    assert.equal(body.scope, 'repository:team/app:pull');
    const ping = await t.app.inject({
      url: '/v2/',
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    assert.equal(ping.statusCode, 200);
  });
});
