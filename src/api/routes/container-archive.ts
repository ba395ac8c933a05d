import { ContainerArchive } from '../../containers/archive.js';
import { overlayChanges, overlayDirs } from '../../containers/changes.js';
import type { ContainerService } from '../../containers/service.js';
import { invalidArgument } from '../../core/errors.js';
import { type HttpApp, uploadBody } from '../http/app.js';
import { queryBool, queryString } from '../query.js';
import { sendJson } from '../server.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** docker cp (archive), export and diff (changes). */
export function registerContainerArchiveRoutes(app: HttpApp, containers: ContainerService): void {
  const archive = new ContainerArchive(containers);
  const pathOf = (query: Record<string, unknown>) => {
    const path = queryString(query.path);
    if (!path) throw invalidArgument('path is empty');
    return path;
  };
  const statHeader = (stat: unknown) => Buffer.from(JSON.stringify(stat)).toString('base64');

  app.head('/containers/:id/archive', async (req, reply) => {
    const stat = await archive.stat(req.params.id!, pathOf(req.query));
    return reply
      .code(200)
      .header(STAT_HEADER, statHeader(stat))
      .header('content-type', 'application/x-tar')
      .send();
  });

  app.get('/containers/:id/archive', async (req, reply) => {
    const { stat, tar } = await archive.get(req.params.id!, pathOf(req.query));
    reply.hijack();
    reply.raw.writeHead(200, {
      ...reply.pendingHeaders(),
      [STAT_HEADER]: statHeader(stat),
      'content-type': 'application/x-tar',
    });
    tar.on('error', () => reply.raw.destroy());
    reply.raw.on('close', () => tar.destroy());
    tar.pipe(reply.raw);
  });

  app.put('/containers/:id/archive', async (req, reply) => {
    await archive.put(req.params.id!, pathOf(req.query), uploadBody(req), {
      noOverwriteDirNonDir: queryBool(req.query.noOverwriteDirNonDir),
      copyUIDGID: queryBool(req.query.copyUIDGID),
    });
    return reply.code(200).send();
  });

  app.get('/containers/:id/export', async (req, reply) => {
    const tar = await archive.export(req.params.id!);
    reply.hijack();
    reply.raw.writeHead(200, { ...reply.pendingHeaders(), 'content-type': 'application/x-tar' });
    tar.on('error', () => reply.raw.destroy());
    reply.raw.on('close', () => tar.destroy());
    tar.pipe(reply.raw);
  });

  app.get('/containers/:id/changes', async (req, reply) => {
    const record = containers.store.get(req.params.id!);
    const { upper, lowers } = overlayDirs(await containers.deps.snapshotter.mounts(record.SnapshotKey));
    return sendJson(reply, 200, upper ? await overlayChanges(upper, lowers) : []);
  });
}
