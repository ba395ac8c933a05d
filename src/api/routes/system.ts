import { serializeEvent } from '../../events/event.js';
import { EVENT_FILTER_KEYS } from '../../events/filters.js';
import type { HttpApp } from '../http/app.js';
import { parseFilters, parseUnixNanos, queryString } from '../query.js';
import { type ApiServices, commonHeaders, sendJson } from '../server.js';

const PING_HEADERS = {
  'Builder-Version': '1',
  Swarm: 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  'Content-Type': 'text/plain; charset=utf-8',
};

export function registerSystemRoutes(app: HttpApp, services: ApiServices): void {
  const { system } = services;

  app.head('/_ping', (_req, reply) => reply.headers({ ...PING_HEADERS, 'Content-Length': '0' }).send());
  app.get('/_ping', (_req, reply) => reply.headers(PING_HEADERS).send('OK'));

  app.get('/version', (_req, reply) => sendJson(reply, 200, system.version()));
  app.get('/info', async (_req, reply) => sendJson(reply, 200, await system.info()));

  // GET /events: replays buffered events since `since`, then streams live ones
  // until `until` passes or the client goes away. Headers go out at once.
  app.get('/events', (req, reply) => {
    const query = req.query;
    const filters = parseFilters(query.filters, EVENT_FILTER_KEYS);
    const since = parseUnixNanos(queryString(query.since), 'since');
    const until = parseUnixNanos(queryString(query.until), 'until');
    const nowNs = BigInt(Date.now()) * 1_000_000n;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...commonHeaders(system), 'Content-Type': 'application/json' });
    res.flushHeaders();

    const inWindow = (timeNano: bigint) => until === undefined || timeNano <= until;
    const sub = system.events.subscribe({
      filters,
      ...(since !== undefined ? { sinceNs: since } : {}),
      onEvent: (event) => {
        if (inWindow(event.timeNano)) res.write(`${serializeEvent(event)}\n`);
      },
    });
    for (const event of sub.backlog) if (inWindow(event.timeNano)) res.write(`${serializeEvent(event)}\n`);

    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      sub.close();
      if (timer) clearTimeout(timer);
      if (!res.writableEnded) res.end();
    };
    if (until !== undefined) {
      const waitMs = Number((until - nowNs) / 1_000_000n);
      if (waitMs <= 0) return finish();
      timer = setTimeout(finish, waitMs);
    }
    req.raw.on('close', finish);
    res.on('close', finish);
  });
}
