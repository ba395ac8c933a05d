import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Digest } from '../../../core/digest.js';
import { registryError } from '../../errors.js';
import type { UploadRecord } from '../../metadata/store.js';
import { isRepositoryName, parseRegistryDigest } from '../../names.js';
import type { Registry } from '../../service/registry.js';
import { hasBody, parseContentRange, queryValue, repositoryName, requestBody } from '../request-helpers.js';
import { mayAccess } from '../security.js';

interface UploadParams {
  name: string;
  id: string;
}

const PUSH = { config: { access: { repository: ['pull' as const, 'push' as const] } } };

/**
 * Blob uploads (distribution-spec "Pushing blobs"): POST opens a session,
 * uploads monolithically with `?digest=`, or mounts with `?mount=&from=`;
 * PATCH appends a chunk; PUT closes with `?digest=`; GET reports; DELETE cancels.
 * Bodies stream straight to storage: this plugin has a pass-through parser.
 */
export function uploadRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // A body that declares more than the blob limit is refused before a byte of it is read.
    const limit = registry.context.limits.blobMaxBytes;
    app.addHook('preHandler', async (request) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (limit > 0 && declared > limit) {
        throw registryError('SIZE_INVALID', {
          message: `blob exceeds the registry's limit of ${limit} bytes`,
          detail: { limit },
          tooLarge: true,
        });
      }
    });

    const sessionReply = (reply: FastifyReply, name: string, upload: UploadRecord, status: number) =>
      reply
        .code(status)
        .header('location', `/v2/${name}/blobs/uploads/${upload.id}`)
        .header('range', `0-${Math.max(upload.size - 1, 0)}`)
        .header('docker-upload-uuid', upload.id)
        .header('content-length', 0)
        .send();
    const createdReply = (reply: FastifyReply, name: string, digest: Digest) =>
      reply
        .code(201)
        .header('location', `/v2/${name}/blobs/${digest}`)
        .header('docker-content-digest', digest)
        .header('content-length', 0)
        .send();

    app.post('/v2/:name/blobs/uploads/', PUSH, async (request, reply) => {
      const name = repositoryName(request);
      const repository = registry.repository(name);
      const mount = queryValue(request, 'mount');
      const from = queryValue(request, 'from');
      if (mount && from && isRepositoryName(from)) {
        const digest = parseRegistryDigest(mount);
        const allowed = await mayAccess(request, { type: 'repository', name: from, action: 'pull' });
        if (allowed && (await repository.blobs.mount(digest, from))) return createdReply(reply, name, digest);
      }
      const digestParam = queryValue(request, 'digest');
      const upload = await repository.uploads.start();
      if (digestParam === undefined) return sessionReply(reply, name, upload, 202);
      const digest = parseRegistryDigest(digestParam);
      await repository.uploads.complete(upload.id, digest, requestBody(request));
      return createdReply(reply, name, digest);
    });

    app.patch<{ Params: UploadParams }>('/v2/:name/blobs/uploads/:id', PUSH, async (request, reply) => {
      const name = repositoryName(request);
      const range = parseContentRange(request.headers['content-range']);
      const upload = await registry
        .repository(name)
        .uploads.append(request.params.id, requestBody(request), range);
      return sessionReply(reply, name, upload, 202);
    });

    app.put<{ Params: UploadParams }>('/v2/:name/blobs/uploads/:id', PUSH, async (request, reply) => {
      const name = repositoryName(request);
      const digestParam = queryValue(request, 'digest');
      if (!digestParam) throw registryError('DIGEST_INVALID', { message: 'digest missing' });
      const digest = parseRegistryDigest(digestParam);
      const body = hasBody(request) ? requestBody(request) : undefined;
      const range = parseContentRange(request.headers['content-range']);
      await registry.repository(name).uploads.complete(request.params.id, digest, body, range);
      return createdReply(reply, name, digest);
    });

    app.get<{ Params: UploadParams }>('/v2/:name/blobs/uploads/:id', PUSH, async (request, reply) => {
      const name = repositoryName(request);
      const upload = await registry.repository(name).uploads.status(request.params.id);
      return sessionReply(reply, name, upload, 204);
    });

    app.delete<{ Params: UploadParams }>('/v2/:name/blobs/uploads/:id', PUSH, async (request, reply) => {
      await registry.repository(repositoryName(request)).uploads.cancel(request.params.id);
      return reply.code(204).send();
    });
  };
}
