import type { ContainerService } from '../../containers/service.js';
import { inspectView, summaryView } from '../../containers/views.js';
import { readLog } from '../../runtime/logs/k8s-file.js';
import { checkCreateBody } from '../create-body.js';
import type { HttpApp } from '../http/app.js';
import { parseFilters, queryBool, queryString } from '../query.js';
import { sendJson } from '../server.js';
import { acceptHijack, frame, STDERR, STDOUT } from '../streams.js';

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

  app.get('/containers/json', (req, reply) => {
    const all = queryBool(req.query.all);
    const filters = parseFilters(req.query.filters, PS_FILTERS);
    let list = containers.store.list().filter((c) => all || c.State.Running);
    if (filters.status?.length) list = list.filter((c) => filters.status!.includes(c.State.Status));
    if (filters.name?.length)
      list = list.filter((c) => filters.name!.some((n) => c.Name.includes(n.replace(/^\//, ''))));
    if (filters.id?.length) list = list.filter((c) => filters.id!.some((id) => c.Id.startsWith(id)));
    if (filters.label?.length) {
      list = list.filter((c) =>
        filters.label!.every((l) => {
          const [k, v] = l.split('=', 2) as [string, string | undefined];
          return v === undefined ? k in c.Labels : c.Labels[k] === v;
        }),
      );
    }
    list.sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
    const limit = Number(queryString(req.query.limit) ?? -1);
    if (limit > 0) list = list.slice(0, limit);
    return sendJson(reply, 200, list.map(summaryView));
  });

  app.get('/containers/:id/json', (req, reply) =>
    sendJson(reply, 200, inspectView(containers.store.get(req.params.id!))),
  );

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
    await containers.stop(req.params.id!, t === undefined ? undefined : Number(t)).catch(() => {});
    await containers.start(req.params.id!);
    return reply.code(204).send();
  });
  app.post('/containers/:id/kill', async (req, reply) => {
    await containers.kill(req.params.id!, queryString(req.query.signal) || 'SIGKILL');
    return reply.code(204).send();
  });
  app.delete('/containers/:id', async (req, reply) => {
    await containers.remove(req.params.id!, { force: queryBool(req.query.force) });
    return reply.code(204).send();
  });

  // The CLI registers its wait before start: the headers go out at once, the body when it ends.
  app.post('/containers/:id/wait', async (req, reply) => {
    // Look the container up before waiting: a wait promise rejected while this handler
    // throws would be an unhandled rejection, which ends the daemon.
    containers.store.get(req.params.id!);
    const code = containers.wait(
      req.params.id!,
      queryString(req.query.condition) ?? 'not-running',
      req.signal,
    );
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
    const timestamps = queryBool(req.query.timestamps);
    const follow = queryBool(req.query.follow);
    const tty = Boolean(record.Config.Tty);
    reply.hijack();
    reply.raw.writeHead(200, {
      ...reply.pendingHeaders(),
      'content-type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
    });
    const until = follow && record.State.Running ? containers.wait(record.Id, 'not-running') : undefined;
    for await (const entry of readLog(record.LogPath, {
      follow: follow && record.State.Running,
      ...(until ? { until } : {}),
      signal: req.signal,
    })) {
      if ((entry.stream === 'stdout' && !stdout) || (entry.stream === 'stderr' && !stderr)) continue;
      const payload = timestamps
        ? Buffer.concat([Buffer.from(`${entry.timestamp} `), entry.content])
        : entry.content;
      reply.raw.write(tty ? payload : frame(entry.stream === 'stdout' ? STDOUT : STDERR, payload));
    }
    reply.raw.end();
  });

  // docker run / attach: hijacked, multiplexed unless the container has a TTY.
  app.upgrade('POST', '/containers/:id/attach', async (req, socket) => {
    const streams = {
      stdin: queryBool(req.query.stdin),
      stdout: queryBool(req.query.stdout),
      stderr: queryBool(req.query.stderr),
    };
    const record = containers.store.get(req.params.id!);
    // The 101 goes out at once: docker run waits for it before it starts the container.
    acceptHijack(socket, { multiplexed: !record.Config.Tty });
    const { session, tty } = await containers.attach(req.params.id!, streams, req.signal);
    session.stdout.on('data', (d: Buffer) => socket.write(tty ? d : frame(STDOUT, d)));
    session.stderr.on('data', (d: Buffer) => socket.write(tty ? d : frame(STDERR, d)));
    if (session.stdin) socket.pipe(session.stdin);
    socket.on('close', () => session.close());
    const ended = (s: NodeJS.ReadableStream) => new Promise<void>((r) => s.once('end', () => r()));
    await Promise.race([session.closed, Promise.all([ended(session.stdout), ended(session.stderr)])]);
    socket.end();
  });
}
