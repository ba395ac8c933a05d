import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseBasic } from '../../auth/authenticator.js';
import { grantToken, type TokenGrantDeps, type TokenRequest } from '../../auth/token-grant.js';
import { registryError } from '../../errors.js';

/**
 * The token endpoint of Docker's token authentication: `GET /token` with
 * Basic credentials (token spec) and `POST /token` with an OAuth2 form
 * (`grant_type=password|refresh_token`, used by `docker login` refreshes).
 */
export function tokenRoutes(deps: TokenGrantDeps): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_request, body, done) => done(null, new URLSearchParams(String(body))),
    );

    app.get('/token', async (request) => {
      const query = new URL(request.url, 'http://localhost').searchParams;
      const grant = await grantToken(deps, {
        ...loginOf(request),
        scopes: query.getAll('scope'),
        offline: query.get('offline_token') === 'true',
        remoteAddress: request.ip,
      });
      return {
        token: grant.token,
        access_token: grant.token,
        expires_in: grant.expiresIn,
        issued_at: grant.issuedAt,
        ...(grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
      };
    });

    app.post<{ Body: URLSearchParams | undefined }>('/token', async (request) => {
      const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
      const grant = await grantToken(deps, {
        ...formLogin(form),
        scopes: form.getAll('scope'),
        offline: form.get('access_type') === 'offline',
        remoteAddress: request.ip,
      });
      return {
        access_token: grant.token,
        token_type: 'Bearer',
        expires_in: grant.expiresIn,
        issued_at: grant.issuedAt,
        scope: grant.scope,
        ...(grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
      };
    });
  };
}

function loginOf(request: FastifyRequest): Pick<TokenRequest, 'login'> {
  const login = parseBasic(request.headers.authorization);
  return login ? { login } : {};
}

function formLogin(form: URLSearchParams): Pick<TokenRequest, 'login' | 'refreshToken'> {
  const grantType = form.get('grant_type');
  if (grantType === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) throw registryError('UNAUTHORIZED', { message: 'refresh_token missing' });
    return { refreshToken };
  }
  if (grantType === 'password') {
    return { login: { user: form.get('username') ?? '', password: form.get('password') ?? '' } };
  }
  throw registryError('UNSUPPORTED', { message: `unsupported grant_type ${grantType ?? '(none)'}` });
}
