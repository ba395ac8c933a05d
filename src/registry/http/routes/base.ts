import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from '../../service/registry.js';
import { linkNextPage, pageOf } from '../request-helpers.js';

/** `GET /v2/` (the API version check, which also asks for a login) and `GET /v2/_catalog`. */
export function baseRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    const check = async () => ({});
    app.get('/v2/', { config: { access: { login: true } } }, check);
    app.head('/v2/', { config: { access: { login: true } } }, check);

    app.get(
      '/v2/_catalog',
      { config: { access: { registry: 'catalog', actions: ['*'] } } },
      async (request, reply) => {
        const page = pageOf(request, registry.context.limits.pageSize);
        const repositories = page.limit === 0 ? [] : await registry.catalog(page);
        linkNextPage(reply, '/v2/_catalog', page, repositories);
        return { repositories };
      },
    );
  };
}
