import type { ExecCreateBody, ExecService } from '../../containers/exec-service.js';
import { invalidArgument } from '../../core/errors.js';
import type { TerminalSize } from '../../runtime/runtime.js';
import { detachKeysOf, pumpSession, readUpgradeBody } from '../hijack.js';
import type { HttpApp } from '../http/app.js';
import { queryString } from '../query.js';
import { sendJson } from '../server.js';
import { acceptHijack, frame, STDOUT } from '../streams.js';

interface ExecStartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** h and w of a resize request, as dockerd parses them (strconv.Atoi). */
export function sizeFromQuery(query: Record<string, string | string[]>): TerminalSize {
  const parse = (name: string) => {
    const text = queryString(query[name]) ?? '';
    if (!/^[+-]?\d+$/.test(text)) throw invalidArgument(`strconv.Atoi: parsing "${text}": invalid syntax`);
    return Number(text);
  };
  return { height: parse('h'), width: parse('w') };
}

function consoleSize(body: ExecStartBody | undefined): TerminalSize | undefined {
  const size = body?.ConsoleSize;
  return size && size[0] > 0 && size[1] > 0 ? { height: size[0], width: size[1] } : undefined;
}

/** `docker exec`: create, start (hijacked or detached), inspect, resize. */
export function registerExecRoutes(app: HttpApp, execs: ExecService): void {
  app.post('/containers/:id/exec', (req, reply) => {
    const body = (req.body ?? {}) as ExecCreateBody;
    if (body.DetachKeys) detachKeysOf(body.DetachKeys, (spec) => `Invalid escape keys (${spec}) provided`);
    return sendJson(reply, 201, execs.create(req.params.id!, body));
  });

  app.get('/exec/:id/json', (req, reply) => sendJson(reply, 200, execs.inspect(req.params.id!)));

  app.post('/exec/:id/resize', async (req, reply) => {
    await execs.resize(req.params.id!, sizeFromQuery(req.query));
    return reply.code(200).send();
  });

  // Without an upgrade: detached, or a client that reads the output as a plain response body.
  app.post('/exec/:id/start', async (req, reply) => {
    const body = req.body as ExecStartBody | undefined;
    const info = execs.get(req.params.id!);
    const size = consoleSize(body);
    if (body?.Detach) {
      await execs.start(req.params.id!, { detach: true, ...(size ? { size } : {}) });
      return reply.code(200).send();
    }
    const started = await execs.start(req.params.id!, { detach: false, ...(size ? { size } : {}) });
    reply.hijack();
    reply.raw.writeHead(200, {
      ...reply.pendingHeaders(),
      'content-type': info.tty
        ? 'application/vnd.docker.raw-stream'
        : 'application/vnd.docker.multiplexed-stream',
    });
    const io = started.io;
    if (io) {
      io.stdout.on('data', (d: Buffer) => reply.raw.write(info.tty ? d : frame(STDOUT, d)));
      io.stderr.on('data', (d: Buffer) => reply.raw.write(info.tty ? d : frame(2, d)));
      req.signal.addEventListener('abort', () => io.close());
      await io.closed;
    }
    await started.exited.catch(() => undefined);
    reply.raw.end();
  });

  app.upgrade('POST', '/exec/:id/start', async (req, socket, head) => {
    const body = (await readUpgradeBody(req.raw, socket, head)) as ExecStartBody | undefined;
    const id = req.params.id!;
    const info = execs.get(id);
    const size = consoleSize(body);
    if (body?.Detach) {
      await execs.start(id, { detach: true, ...(size ? { size } : {}) });
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    acceptHijack(socket, { multiplexed: !info.tty });
    let started: Awaited<ReturnType<ExecService['start']>>;
    try {
      started = await execs.start(id, { detach: false, ...(size ? { size } : {}) });
    } catch (err) {
      // After the 101 an error can only travel in the stream, as dockerd writes it.
      const text = Buffer.from(`${err instanceof Error ? err.message : String(err)}\r\n`);
      socket.end(info.tty ? text : frame(STDOUT, text));
      return;
    }
    if (!started.io) {
      await started.exited.catch(() => undefined);
      socket.end();
      return;
    }
    const keys = detachKeysOf(info.detachKeys, (spec) => `Invalid escape keys (${spec}) provided`);
    const end = await pumpSession(socket, started.io, { tty: info.tty, detachKeys: keys, deferEnd: true });
    // The client reads the exit code once the stream ends: have it recorded first.
    if (end === 'ended') await started.exited.catch(() => undefined);
    socket.end();
  });
}
