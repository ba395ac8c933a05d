import { detectCgroupLayout } from '../../cgroups/layout.js';
import { ContainerOps } from '../../containers/ops.js';
import type { ContainerService } from '../../containers/service.js';
import { type StatsSample, sampleStats, statsDocument } from '../../containers/stats.js';
import type { HttpApp } from '../http/app.js';
import { parseFilters, queryBool, queryString } from '../query.js';
import { sendJson } from '../server.js';

/** Time between two samples of a stats stream (dockerd collects once a second). */
const STATS_INTERVAL_MS = 1000;

/** pause, unpause, top, stats, rename, update and prune. */
export function registerContainerOpsRoutes(app: HttpApp, containers: ContainerService): void {
  const ops = new ContainerOps(containers);

  app.post('/containers/:id/pause', async (req, reply) => {
    await ops.pause(req.params.id!);
    return reply.code(204).send();
  });
  app.post('/containers/:id/unpause', async (req, reply) => {
    await ops.unpause(req.params.id!);
    return reply.code(204).send();
  });
  app.get('/containers/:id/top', async (req, reply) =>
    sendJson(reply, 200, await ops.top(req.params.id!, queryString(req.query.ps_args))),
  );
  app.post('/containers/:id/rename', async (req, reply) => {
    await ops.rename(req.params.id!, queryString(req.query.name) ?? '');
    return reply.code(204).send();
  });
  app.post('/containers/:id/update', async (req, reply) =>
    sendJson(reply, 200, await ops.update(req.params.id!, (req.body ?? {}) as Record<string, unknown>)),
  );
  app.post('/containers/prune', async (req, reply) =>
    sendJson(reply, 200, await ops.prune(parseFilters(req.query.filters))),
  );

  // stream (default): one document a second; stream=false: two samples a second apart, so
  // precpu_stats is filled (docker stats --no-stream); one-shot: one sample, no precpu.
  app.get('/containers/:id/stats', async (req, reply) => {
    const record = containers.store.get(req.params.id!);
    const stream = queryBool(req.query.stream, true);
    const oneShot = queryBool(req.query['one-shot']);
    const version = (await detectCgroupLayout()).version;
    const runtime = containers.runtimeOf(record);
    const sample = async (): Promise<StatsSample | undefined> =>
      record.State.Running && !record.State.Restarting
        ? sampleStats(runtime, record).catch(() => undefined)
        : undefined;
    if (!stream) {
      let previous: StatsSample | undefined;
      if (!oneShot) {
        previous = await sample();
        if (previous) await sleep(STATS_INTERVAL_MS, req.signal);
      }
      return sendJson(reply, 200, statsDocument(record, await sample(), previous, version));
    }
    reply.hijack();
    reply.raw.writeHead(200, { ...reply.pendingHeaders(), 'content-type': 'application/json' });
    let previous: StatsSample | undefined;
    while (!req.signal.aborted && !reply.raw.destroyed) {
      const current = await sample();
      reply.raw.write(`${JSON.stringify(statsDocument(record, current, previous, version))}\n`);
      previous = current;
      // A stopped container gets one zeroed document, then the stream ends, as with dockerd.
      if (!current && !record.State.Running) break;
      await sleep(STATS_INTERVAL_MS, req.signal).catch(() => {});
    }
    reply.raw.end();
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
