import type { FastifyPluginAsync } from 'fastify';
import type { GarbageCollector } from '../../gc/collector.js';
import { queryValue } from '../request-helpers.js';

/** `POST /admin/gc?dryRun=true&deleteUntagged=true`: runs GC now and answers with its report. */
export function gcRoutes(gc: GarbageCollector): FastifyPluginAsync {
  return async (app) => {
    app.post('/admin/gc', { config: { access: { registry: 'gc', actions: ['*'] } } }, async (request) => {
      const report = await gc.run({
        dryRun: queryValue(request, 'dryRun') === 'true',
        deleteUntagged: queryValue(request, 'deleteUntagged') === 'true',
      });
      return report;
    });
  };
}
