import type { ServerResponse } from 'node:http';
import { inspectLinks } from '../../containers/links.js';
import { listContainers, sizes } from '../../containers/list.js';
import { containerLogs, type LogChunk } from '../../containers/logs.js';
import type { ContainerService } from '../../containers/service.js';
import { graphDriverData, inspectView } from '../../containers/views.js';
import { invalidArgument, notFound } from '../../core/errors.js';
import { traced } from '../../core/spans.js';
import { checkCreateBody } from '../create-body.js';
import { detachKeysOf, pumpSession } from '../hijack.js';
import type { HttpApp } from '../http/app.js';
import { parseFilters, parseUnixNanos, queryBool, queryString } from '../query.js';
import { sendJson } from '../server.js';
import { acceptHijack, frame, STDERR, STDOUT } from '../streams.js';
import { sizeFromQuery } from './exec.js';

const PS_FILTERS = [
  'id',
  'name',
  'label',
  'status',
  'ancestor',
  'exited',
  'before',
  'since',
  'volume',
  'network',
  'health',
  'is-task',
  'expose',
  'publish',
];

export function registerContainerRoutes(app: HttpApp, containers: ContainerService): void {
  app.post('/containers/create', async (req, reply) => {
    checkCreateBody(req.body);
    const created = await containers.create((req.body ?? {}) as never, queryString(req.query.name));
    return sendJson(reply, 201, created);
  });

  app.get('/containers/json', async (req, reply) => {
    const limit = Number(queryString(req.query.limit) ?? -1);
    const list = await listContainers(containers, {
      all: queryBool(req.query.all),
      size: queryBool(req.query.size),
      limit,
      filters: parseFilters(req.query.filters, PS_FILTERS),
    });
    return sendJson(reply, 200, list);
  });

  const inspect: Parameters<HttpApp['get']>[1] = async (req, reply) => {
    // A legacy link's name ("parent/alias") spans two segments: the wildcard route brings it whole.
    const wild = req.params['*'];
    if (wild !== undefined && !wild.endsWith('/json')) throw notFound('page not found');
    const record = containers.store.get(req.params.id ?? wild!.slice(0, -'/json'.length));
    const mounts = await containers.deps.snapshotter.mounts(record.SnapshotKey).catch(() => []);
    const layers = graphDriverData(mounts, containers.rootfsPath(record.Id));
    const view = inspectView(record, {
      execIds: containers.execs.idsOf(record.Id) ?? [],
      links: inspectLinks(record, containers.store),
      ...(layers ? { graphDriverData: layers } : {}),
    });
    // `inspect --size`: SizeRw and SizeRootFs, as in `ps -s`.
    const sized = queryBool(req.query.size) ? { ...view, ...(await sizes(containers, record)) } : view;
    return sendJson(reply, 200, sized);
  };
  app.get('/containers/:id/json', inspect);
  app.get('/containers/*', inspect);

  app.post('/containers/:id/start', async (req, reply) => {
    await containers.start(req.params.id!);
    return reply.code(204).send();
  });
  app.post('/containers/:id/stop', async (req, reply) => {
    const t = queryString(req.query.t);
    await containers.stop(
      req.params.id!,
      t === undefined ? undefined : Number(t),
      queryString(req.query.signal),
    );
    return reply.code(204).send();
  });
  app.post('/containers/:id/restart', async (req, reply) => {
    const t = queryString(req.query.t);
    await containers.restart(req.params.id!, t === undefined ? undefined : Number(t));
    return reply.code(204).send();
  });
  app.post('/containers/:id/kill', async (req, reply) => {
    await containers.kill(req.params.id!, queryString(req.query.signal) || 'SIGKILL');
    return reply.code(204).send();
  });
  // A legacy link's name has a slash ("parent/alias"): `rm --link` sends it as it is.
  const remove: Parameters<HttpApp['delete']>[1] = async (req, reply) => {
    const ref = req.params.id ?? req.params['*']!;
    if (queryBool(req.query.link)) await containers.removeLink(ref);
    else await containers.remove(ref, { force: queryBool(req.query.force), volumes: queryBool(req.query.v) });
    return reply.code(204).send();
  };
  app.delete('/containers/:id', remove);
  app.delete('/containers/*', remove);

  // The CLI registers its wait before start: the headers go out at once, the body when it ends.
  app.post('/containers/:id/wait', async (req, reply) => {
    // Unknown containers and conditions fail before the headers go out (and never reject unobserved).
    containers.store.get(req.params.id!);
    const code = containers.wait(
      req.params.id!,
      queryString(req.query.condition) ?? 'not-running',
      req.signal,
    );
    code.catch(() => undefined);
    reply.hijack();
    reply.raw.writeHead(200, { ...reply.pendingHeaders(), 'content-type': 'application/json' });
    reply.raw.flushHeaders();
    try {
      reply.raw.end(`${JSON.stringify({ StatusCode: await code })}\n`);
    } catch {
      reply.raw.destroy();
    }
  });

  app.get('/containers/:id/logs', async (req, reply) => {
    const record = containers.store.get(req.params.id!);
    const stdout = queryBool(req.query.stdout);
    const stderr = queryBool(req.query.stderr);
    if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    // Following a stopped container reads what there is and ends, as dockerd does.
    const follow = queryBool(req.query.follow) && record.State.Running;
    const tail = Number.parseInt(queryString(req.query.tail) ?? '', 10);
    const since = parseUnixNanos(queryString(req.query.since), 'since');
    const until = parseUnixNanos(queryString(req.query.until), 'until');
    const tty = Boolean(record.Config.Tty);
    const chunks = containerLogs(record, {
      stdout,
      stderr,
      follow,
      timestamps: queryBool(req.query.timestamps),
      details: queryBool(req.query.details),
      ...(Number.isInteger(tail) && tail >= 0 ? { tail } : {}),
      ...(since !== undefined && since !== 0n ? { since } : {}),
      ...(until !== undefined && until !== 0n ? { until } : {}),
      signal: req.signal,
      ...(follow ? { stopped: containers.wait(record.Id, 'not-running') } : {}),
    });
    // The first read fails early (a driver that cannot be read) while the answer can still be an error.
    const first = await chunks.next();
    reply.hijack();
    reply.raw.writeHead(200, {
      ...reply.pendingHeaders(),
      'content-type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
    });
    reply.raw.flushHeaders();
    const res = reply.raw;
    // A client slower than the output holds the reader back (as dockerd's does) instead of
    // berthd buffering the whole log for it; the follower then reads on from the files.
    const write = async (c: LogChunk) => {
      if (res.write(tty ? c.payload : frame(c.stream === 'stdout' ? STDOUT : STDERR, c.payload))) return;
      await drainedOrClosed(res);
    };
    if (!first.done) {
      await write(first.value);
      for await (const chunk of chunks) {
        if (res.destroyed) break;
        await write(chunk);
      }
    }
    res.end();
  });

  // docker run / attach: hijacked, multiplexed unless the container has a TTY.
  app.upgrade('POST', '/containers/:id/attach', async (req, socket) => {
    const streams = {
      stdin: queryBool(req.query.stdin),
      stdout: queryBool(req.query.stdout),
      stderr: queryBool(req.query.stderr),
    };
    const record = containers.store.get(req.params.id!);
    const keys = detachKeysOf(
      queryString(req.query.detachKeys),
      (spec) => `Invalid detach keys (${spec}) provided`,
    );
    // The 101 goes out at once: docker run waits for it before it starts the container.
    acceptHijack(socket, { multiplexed: !record.Config.Tty });
    const { session, tty } = await containers.attach(req.params.id!, streams, req.signal);
    await traced('api.attach-session', () => pumpSession(socket, session, { tty, detachKeys: keys }));
  });

  app.post('/containers/:id/resize', async (req, reply) => {
    await containers.resize(req.params.id!, sizeFromQuery(req.query));
    return reply.code(200).send();
  });
}

/** Settles once `res` can take more, or is gone. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
