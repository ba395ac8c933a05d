import { BuilderError } from '../../builder/errors.js';
import type { BuildOptions } from '../../builder/executor.js';
import type { BuildService } from '../../builder/service.js';
import { invalidArgument } from '../../core/errors.js';
import { authForRegistry, decodeRegistryConfig } from '../../distribution/auth-config.js';
import type { DistributionService } from '../../distribution/service.js';
import { parseNormalizedNamed } from '../../images/reference.js';
import { messageOf } from '../errors.js';
import { type HttpApp, uploadBody } from '../http/app.js';
import { clientGone, JsonLineStream } from '../json-stream.js';
import { queryBool, queryString } from '../query.js';
import { sendJson } from '../server.js';

type Query = Record<string, string | string[] | undefined>;

/** POST /commit and POST /build. */
export function registerBuildRoutes(
  app: HttpApp,
  builder: BuildService,
  headers: Record<string, string>,
  distribution?: DistributionService,
): void {
  app.post('/commit', async (req, reply) => {
    const query = req.query as Query;
    const body = req.body as Record<string, unknown> | undefined;
    const id = await builder.commit({
      container: queryString(query.container) ?? '',
      ...optional('repo', queryString(query.repo)),
      ...optional('tag', queryString(query.tag)),
      ...optional('comment', queryString(query.comment)),
      ...optional('author', queryString(query.author)),
      changes: listOf(query.changes),
      // dockerd: pause unless told not to (an empty value is the default, true).
      pause: query.pause === undefined || queryString(query.pause) === '' || queryBool(query.pause),
      ...(body && typeof body === 'object' && Object.keys(body).length > 0 ? { config: body } : {}),
    });
    return sendJson(reply, 201, { Id: id });
  });

  app.post('/build', async (req, reply) => {
    const query = req.query as Query;
    const options = buildOptionsOf(query);
    const quiet = queryBool(query.q);
    const stream = new JsonLineStream(reply, headers);
    const signal = clientGone(reply);
    const registryConfig = decodeRegistryConfig(req.raw.headers['x-registry-config']);
    // FROM images that are missing (or all, with pull=1) come from their registry, progress in the build's stream.
    const pullImage = distribution
      ? (name: string, platform: string | undefined) =>
          distribution.pull({
            fromImage: name,
            ...(platform ? { platform } : {}),
            auth: authForRegistry(registryConfig, parseNormalizedNamed(name).domain),
            report: (message) => {
              if (!quiet) stream.write(message);
            },
            signal,
          })
      : undefined;
    try {
      const remote = queryString(query.remote);
      const context = remote ? await builder.remoteContext(remote, options.dockerfile) : uploadBody(req);
      const result = await builder.build(
        context,
        { ...options, signal, ...(pullImage ? { pullImage } : {}) },
        {
          stream: (text) => {
            if (!quiet) stream.write({ stream: text });
          },
          aux: (value) => stream.write({ aux: value }),
        },
      );
      const id = result.id;
      if (quiet) stream.write({ stream: `${id}\n` });
      else {
        stream.write({ stream: `Successfully built ${id.slice(7, 19)}\n` });
        for (const tag of result.tags) stream.write({ stream: `Successfully tagged ${tag}\n` });
      }
      stream.end();
    } catch (err) {
      const message = messageOf(err);
      const code = err instanceof BuilderError ? err.code : undefined;
      stream.write({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
      stream.end();
    }
  });
}

/** The legacy builder's query parameters, as the Docker CLI and compose send them. */
function buildOptionsOf(query: Query): BuildOptions {
  const json = <T>(name: string, fallback: T): T => {
    const text = queryString(query[name]);
    if (!text) return fallback;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw invalidArgument(`invalid ${name} parameter: ${text}`);
    }
  };
  const num = (name: string): number | undefined => {
    const text = queryString(query[name]);
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isFinite(value)) throw invalidArgument(`invalid ${name} parameter: ${text}`);
    return value;
  };
  const hostConfig: Record<string, unknown> = {};
  const limits: [string, string][] = [
    ['shmsize', 'ShmSize'],
    ['memory', 'Memory'],
    ['memswap', 'MemorySwap'],
    ['cpushares', 'CpuShares'],
    ['cpuperiod', 'CpuPeriod'],
    ['cpuquota', 'CpuQuota'],
  ];
  for (const [param, field] of limits) {
    const value = num(param);
    if (value) hostConfig[field] = value;
  }
  for (const [param, field] of [
    ['cpusetcpus', 'CpusetCpus'],
    ['cpusetmems', 'CpusetMems'],
  ] as const) {
    const value = queryString(query[param]);
    if (value) hostConfig[field] = value;
  }
  const extraHosts = listOf(query.extrahosts)
    .flatMap((h) => h.split(','))
    .filter(Boolean);
  if (extraHosts.length > 0) hostConfig['ExtraHosts'] = extraHosts;
  const target = queryString(query.target);
  const network = queryString(query.networkmode);
  const platform = queryString(query.platform);
  return {
    tags: listOf(query.t),
    dockerfile: queryString(query.dockerfile) ?? 'Dockerfile',
    buildArgs: json<Record<string, string | null>>('buildargs', {}),
    labels: json<Record<string, string>>('labels', {}),
    ...(target ? { target } : {}),
    noCache: queryBool(query.nocache),
    pull: queryBool(query.pull),
    rm: queryBool(query.rm, true),
    forceRm: queryBool(query.forcerm),
    ...(network ? { networkMode: network } : {}),
    cacheFrom: json<string[]>('cachefrom', []),
    ...(platform ? { platform } : {}),
    hostConfig,
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

export function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
