import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { parseRegistryDigest } from '../../names.js';
import type { Registry } from '../../service/registry.js';
import type { BlobContent } from '../../storage/driver.js';
import { parseByteRange, repositoryName } from '../request-helpers.js';

interface BlobParams {
  name: string;
  digest: string;
}

/** `GET`, `HEAD` and `DELETE /v2/<name>/blobs/<digest>` (distribution-spec "Pulling blobs"). */
export function blobRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    const target = (params: BlobParams, name: string) => ({
      repository: registry.repository(name),
      digest: parseRegistryDigest(params.digest),
    });

    app.head<{ Params: BlobParams }>(
      '/v2/:name/blobs/:digest',
      { config: { access: { repository: ['pull'] } } },
      async (request, reply) => {
        const { repository, digest } = target(request.params, repositoryName(request));
        const { size } = await repository.blobs.stat(digest);
        reply
          .header('content-length', size)
          .header('docker-content-digest', digest)
          .header('accept-ranges', 'bytes')
          .type('application/octet-stream');
        return reply.send();
      },
    );

    app.get<{ Params: BlobParams }>(
      '/v2/:name/blobs/:digest',
      { config: { access: { repository: ['pull'] } } },
      async (request, reply) => {
        const { repository, digest } = target(request.params, repositoryName(request));
        const { size } = await repository.blobs.stat(digest);
        const range = parseByteRange(request.headers.range, size);
        const blob = await repository.blobs.open(digest, range);
        reply
          .header('docker-content-digest', digest)
          .header('accept-ranges', 'bytes')
          .type('application/octet-stream');
        if (blob.range) {
          reply.code(206).header('content-range', `bytes ${blob.range.start}-${blob.range.end}/${size}`);
          reply.header('content-length', blob.range.end - blob.range.start + 1);
        } else {
          reply.header('content-length', size);
        }
        return sendBlob(reply, blob.content);
      },
    );

    app.delete<{ Params: BlobParams }>(
      '/v2/:name/blobs/:digest',
      { config: { access: { repository: ['delete'] } } },
      async (request, reply) => {
        const { repository, digest } = target(request.params, repositoryName(request));
        await repository.blobs.delete(digest);
        return reply.code(202).header('content-length', 0).send();
      },
    );
  };
}

/**
 * Writes the blob straight into the response, past Fastify's stream piping:
 * the driver then reuses its read buffers (see storage/file-sender.ts). The
 * status and headers are already decided; onResponse hooks still run.
 */
async function sendBlob(reply: FastifyReply, content: BlobContent): Promise<FastifyReply> {
  reply.hijack();
  const response = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) response.setHeader(name, value);
  }
  response.writeHead(reply.statusCode);
  try {
    await content.writeTo(response);
    response.end();
  } catch (err) {
    // Headers are out: the only honest signal left is a cut connection.
    reply.log.debug({ err }, 'blob download interrupted');
    response.destroy();
  }
  return reply;
}
