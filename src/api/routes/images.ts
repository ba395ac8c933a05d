import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, notImplemented } from '../../core/errors.js';
import { IMAGE_LIST_FILTERS } from '../../images/list.js';
import type { LoadReporter } from '../../images/load.js';
import { IMAGE_PRUNE_FILTERS } from '../../images/prune.js';
import type { ImageService } from '../../images/service.js';
import { diskUsageJson, diskUsageTypes } from '../disk-usage.js';
import { type HttpApp, type Request, uploadBody } from '../http/app.js';
import type { Reply } from '../http/reply.js';
import { deleteItemsJson, historyJson, imageInspectJson, imageSummaryJson } from '../image-shapes.js';
import { clientGone, JsonLineStream } from '../json-stream.js';
import { progressMessage } from '../progress.js';
import { parseFilters, queryBool, queryString } from '../query.js';
import { type ApiServices, apiVersionOf, commonHeaders, sendJson } from '../server.js';
import { compareVersions } from '../versioning.js';
import { streamPull, streamPush } from './distribution.js';

type Query = Record<string, string | string[] | undefined>;

/**
 * The images routes of the Engine API. Image names may contain slashes
 * (`fixture/layers:latest`), so `/images/{name}/…` are matched as wildcards
 * and split on their last segment, as dockerd's `{name:.*}` routes.
 */
export function registerImageRoutes(app: HttpApp, services: ApiServices, images: ImageService): void {
  const headers = commonHeaders(services.system);
  const version = (req: Request) => apiVersionOf(req.raw);

  app.get('/images/json', async (req, reply) => {
    const query = req.query as Query;
    const filters = parseFilters(query.filters, IMAGE_LIST_FILTERS);
    const list = await images.list({ all: queryBool(query.all), filters });
    return sendJson(
      reply,
      200,
      list.map((image) => imageSummaryJson(image, version(req))),
    );
  });

  app.get('/images/get', (req, reply) => saveImages(reply, namesOf(req.query as Query)));

  app.get('/images/*', async (req, reply) => {
    const { name, action } = splitImagePath(req);
    if (action === 'json')
      return sendJson(reply, 200, imageInspectJson(await images.inspect(name), version(req)));
    if (action === 'history') return sendJson(reply, 200, historyJson(await images.history(name)));
    if (action === 'get') return saveImages(reply, [name]);
    return sendJson(reply, 404, { message: 'page not found' });
  });

  app.post('/images/*', async (req, reply) => {
    const { name, action } = splitImagePath(req);
    if (action === 'push' && services.distribution)
      return streamPush(req, reply, name, services, services.distribution);
    if (action !== 'tag') return sendJson(reply, 404, { message: 'page not found' });
    const query = req.query as Query;
    await images.tag(name, queryString(query.repo) ?? '', queryString(query.tag) || undefined);
    return reply.code(201).send();
  });

  app.delete('/images/*', async (req, reply) => {
    const query = req.query as Query;
    const name = (req.params as { '*': string })['*'];
    const items = await images.remove(name, {
      force: queryBool(query.force),
      prune: !queryBool(query.noprune),
    });
    return sendJson(reply, 200, deleteItemsJson(items));
  });

  // POST /images/load: dockerd answers 200 at once and reports every failure in-band.
  app.post('/images/load', async (req, reply) => {
    const quiet = queryBool((req.query as Query).quiet, true);
    const stream = new JsonLineStream(reply, headers);
    const reporter: LoadReporter = {
      message: (text) => stream.write({ stream: text }),
      ...(quiet
        ? {}
        : { progress: (p) => stream.write(progressMessage('Loading layer', p.id, p.current, p.total)) }),
    };
    try {
      await images.load(uploadBody(req), { reporter, signal: clientGone(reply) });
      stream.end();
    } catch (err) {
      stream.fail(err, { inBand: true });
    }
  });

  // POST /images/create: pull with fromImage=, import with fromSrc=-.
  app.post('/images/create', async (req, reply) => {
    const query = req.query as Query;
    if (queryString(query.fromImage)) {
      if (!services.distribution) throw notImplemented('pulling images is not available');
      return streamPull(req, reply, services, services.distribution);
    }
    const fromSrc = queryString(query.fromSrc);
    if (fromSrc === undefined || fromSrc === '') throw invalidArgument('fromImage or fromSrc is required');
    if (fromSrc !== '-')
      throw notImplemented('importing from a URL is not supported; send the archive as the body');
    const stream = new JsonLineStream(reply, headers);
    try {
      const id = await images.import(uploadBody(req), {
        repo: queryString(query.repo) ?? '',
        tag: queryString(query.tag) ?? '',
        message: queryString(query.message) ?? '',
        changes: listOf(query.changes),
        ...(queryString(query.platform) ? { platform: queryString(query.platform)! } : {}),
        signal: clientGone(reply),
      });
      stream.write({ status: id });
      stream.end();
    } catch (err) {
      stream.fail(err);
    }
  });

  app.post('/images/prune', async (req, reply) => {
    const filters = parseFilters((req.query as Query).filters, IMAGE_PRUNE_FILTERS);
    const report = await images.prune(filters);
    const deleted = report.deleted.length > 0 ? deleteItemsJson(report.deleted) : null;
    return sendJson(reply, 200, { ImagesDeleted: deleted, SpaceReclaimed: report.spaceReclaimed });
  });

  app.get('/system/df', async (req, reply) => {
    // `type` is API 1.42; older clients get everything, as dockerd 20.10 gives them.
    const raw = compareVersions(version(req), '1.42') < 0 ? undefined : (req.query as Query).type;
    const types = diskUsageTypes(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]);
    return sendJson(reply, 200, await diskUsageJson(services, images, types, version(req)));
  });

  /** Resolves the names (errors go out as ordinary responses), then streams the tar. */
  async function saveImages(reply: Reply, names: string[]) {
    const archive = await images.save(names);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...headers, 'Content-Type': 'application/x-tar' });
    try {
      await pipeline(Readable.from(archive), res);
    } catch (err) {
      services.log.warn('image save failed', { error: err });
      res.destroy();
    }
  }
}

/** `/images/<name>/<action>` → name and action; the name may contain slashes. */
function splitImagePath(req: Request): { name: string; action: string } {
  const path = (req.params as { '*': string })['*'];
  const slash = path.lastIndexOf('/');
  return slash < 0
    ? { name: path, action: '' }
    : { name: path.slice(0, slash), action: path.slice(slash + 1) };
}

function namesOf(query: Query): string[] {
  return listOf(query.names);
}

function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
