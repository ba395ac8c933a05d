import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from '../../service/registry.js';
import type { RegistryMetrics } from '../metrics.js';

/** `GET /healthz` and `GET /metrics` (Prometheus text format). */
export function opsRoutes(registry: Registry, metrics: RegistryMetrics): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async () => {
      await registry.usage();
      return { status: 'ok' };
    });

    app.get('/metrics', async (_request, reply) => {
      const [usage, uploadSessions] = await Promise.all([registry.usage(), registry.uploadSessions()]);
      const text = metrics.render({ uploadSessions, storageBytes: usage.bytes, storageBlobs: usage.blobs });
      return reply.type('text/plain; version=0.0.4').send(text);
    });
  };
}
