import type { FastifyPluginAsync } from 'fastify';
import { OciMediaType } from '../../../core/descriptor.js';
import { parseRegistryDigest } from '../../names.js';
import type { Registry } from '../../service/registry.js';
import { linkNextPage, pageOf, queryValue, repositoryName } from '../request-helpers.js';

/** Content discovery: `GET /v2/<name>/tags/list` and `GET /v2/<name>/referrers/<digest>`. */
export function discoveryRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    const pull = { config: { access: { repository: ['pull' as const] } } };

    app.get('/v2/:name/tags/list', pull, async (request, reply) => {
      const name = repositoryName(request);
      const page = pageOf(request, registry.context.limits.pageSize);
      const tags = await registry.repository(name).tags(page);
      linkNextPage(reply, `/v2/${name}/tags/list`, page, tags);
      return { name, tags };
    });

    app.get<{ Params: { name: string; digest: string } }>(
      '/v2/:name/referrers/:digest',
      pull,
      async (request, reply) => {
        const name = repositoryName(request);
        const digest = parseRegistryDigest(request.params.digest);
        const artifactType = queryValue(request, 'artifactType');
        const { index, filtered } = await registry.repository(name).referrers(digest, artifactType);
        if (filtered) reply.header('oci-filters-applied', 'artifactType');
        return reply.type(OciMediaType.index).send(index);
      },
    );
  };
}
