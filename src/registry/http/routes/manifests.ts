import type { FastifyPluginAsync } from 'fastify';
import type { StoredManifest } from '../../metadata/store.js';
import { parseReference } from '../../names.js';
import type { Registry } from '../../service/registry.js';
import { acceptedTypes, repositoryName } from '../request-helpers.js';

interface ManifestParams {
  name: string;
  reference: string;
}

/**
 * Manifests by tag or digest (distribution-spec "Pulling manifests",
 * "Pushing manifests", "Deleting manifests"). Bodies are read whole, up to the
 * manifest size limit, because the digest covers the exact bytes.
 */
export function manifestRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    const bodyLimit = registry.context.limits.manifestMaxBytes;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
      done(null, body),
    );

    const load = async (name: string, reference: string, accept: string[]): Promise<StoredManifest> =>
      registry.repository(name).manifests.get(parseReference(reference), accept);
    const pull = { config: { access: { repository: ['pull' as const] } } };

    app.head<{ Params: ManifestParams }>('/v2/:name/manifests/:reference', pull, async (request, reply) => {
      const manifest = await load(repositoryName(request), request.params.reference, acceptedTypes(request));
      reply
        .type(manifest.mediaType)
        .header('content-length', manifest.content.byteLength)
        .header('docker-content-digest', manifest.digest)
        .header('etag', `"${manifest.digest}"`);
      return reply.send();
    });

    app.get<{ Params: ManifestParams }>('/v2/:name/manifests/:reference', pull, async (request, reply) => {
      const manifest = await load(repositoryName(request), request.params.reference, acceptedTypes(request));
      reply
        .type(manifest.mediaType)
        .header('docker-content-digest', manifest.digest)
        .header('etag', `"${manifest.digest}"`);
      return reply.send(manifest.content);
    });

    app.put<{ Params: ManifestParams; Body: Buffer | undefined }>(
      '/v2/:name/manifests/:reference',
      { config: { access: { repository: ['pull', 'push'] } }, bodyLimit },
      async (request, reply) => {
        const name = repositoryName(request);
        const content = request.body ?? Buffer.alloc(0);
        request.bytesIn += content.byteLength;
        const result = await registry
          .repository(name)
          .manifests.put(parseReference(request.params.reference), content, request.headers['content-type']);
        if (result.subject) reply.header('oci-subject', result.subject);
        return reply
          .code(201)
          .header('location', `/v2/${name}/manifests/${result.digest}`)
          .header('docker-content-digest', result.digest)
          .header('content-length', 0)
          .send();
      },
    );

    app.delete<{ Params: ManifestParams }>(
      '/v2/:name/manifests/:reference',
      { config: { access: { repository: ['delete'] } } },
      async (request, reply) => {
        await registry
          .repository(repositoryName(request))
          .manifests.delete(parseReference(request.params.reference));
        return reply.code(202).header('content-length', 0).send();
      },
    );
  };
}
