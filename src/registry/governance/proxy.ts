import { once } from 'node:events';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Digest } from '../../core/digest.js';
import type { Logger } from '../../core/logger.js';
import { registryError } from '../errors.js';
import { parseRepositoryName } from '../names.js';
import { parseManifest } from '../service/manifest-parse.js';
import type { Registry } from '../service/registry.js';
import { uploadWhole } from '../service/uploads.js';
import type { Governance } from './governance.js';
import {
  createRemoteClient,
  describeError,
  type RemoteClient,
  type RemoteEndpoint,
  type RemoteManifest,
} from './remote.js';
import type { Project } from './store.js';

/** A proxy-cache project's upstream: where `PROJECT/REST` is fetched from. */
export interface ProxyCacheSettings extends RemoteEndpoint {
  /** Upstream repository = `NAMESPACE/REST` (e.g. `library` for Docker Hub images); `REST` when absent. */
  namespace?: string;
}

/** How long a tag lookup waits for the upstream before serving the cached copy. */
const TAG_CHECK_TIMEOUT_MS = 5_000;

export interface ProxyCacheDeps {
  governance: Governance;
  registry: Registry;
  logger: Logger;
}

/**
 * Pull-through cache, as a root-level preHandler on the registry routes (after
 * authorization): a GET or HEAD of a manifest or blob in a proxy-cache project
 * that the cache lacks is fetched from the upstream first. A tag is checked
 * against the upstream on every pull (a HEAD) and served from the cache when
 * the upstream is unreachable. Blob bytes stream to the client while they are
 * stored, and are kept only when their digest verifies. Pushes to a proxy
 * project are refused, as in Harbor.
 */
export function proxyCache(deps: ProxyCacheDeps): FastifyPluginAsync {
  const { governance, registry, logger } = deps;
  const clients = new Map<string, RemoteClient>();
  const clientOf = (project: Project, upstream: ProxyCacheSettings) => {
    const key = `${project.name}\0${JSON.stringify(upstream)}`;
    let client = clients.get(key);
    if (!client) {
      client = createRemoteClient(upstream);
      clients.set(key, client);
    }
    return client;
  };
  // One upstream fetch per blob at a time; later requests wait for it.
  const inflight = new Map<string, Promise<void>>();

  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('preHandler', async (request, reply) => {
      const route = request.routeOptions.url ?? '';
      if (!route.startsWith('/v2/:name/')) return;
      const rawName = (request.params as { name?: string }).name;
      if (!rawName) return;
      let name: string;
      try {
        name = parseRepositoryName(rawName);
      } catch {
        return;
      }
      const slash = name.indexOf('/');
      if (slash < 0) return;
      const project = await governance.store.project(name.slice(0, slash));
      const upstream = project?.settings.proxyCache;
      if (!project || !upstream) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw registryError('DENIED', {
          message: `project ${project.name} is a proxy cache of ${upstream.url}: it accepts no pushes or deletes`,
        });
      }
      const rest = name.slice(slash + 1);
      const remoteName = upstream.namespace ? `${upstream.namespace}/${rest}` : rest;
      const client = clientOf(project, upstream);
      if (route === '/v2/:name/manifests/:reference') {
        const reference = (request.params as { reference: string }).reference;
        const upstreamCopy = await cacheManifest(name, remoteName, reference, client);
        if (upstreamCopy) {
          reply
            .type(upstreamCopy.mediaType)
            .header('docker-content-digest', upstreamCopy.digest)
            .header('etag', `"${upstreamCopy.digest}"`)
            .header('content-length', upstreamCopy.content.byteLength);
          return reply.send(request.method === 'HEAD' ? undefined : upstreamCopy.content);
        }
      } else if (route === '/v2/:name/blobs/:digest') {
        const digest = (request.params as { digest: string }).digest;
        if (await registry.context.metadata.findLinkedBlob(name, digest as `sha256:${string}`)) return;
        const streamed =
          request.method === 'GET' && !request.headers.range && !inflight.has(`${name}@${digest}`)
            ? await streamBlob(request, reply, name, remoteName, digest, client)
            : false;
        if (!streamed) await fetchBlob(name, remoteName, digest, client);
      }
    });
  };
  // Hooks of this plugin apply to the whole app, not only to its own (absent) routes.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;

  /**
   * Makes sure the cache can answer a manifest request: stores it when all it
   * references is cached; otherwise returns the upstream's copy to serve as it
   * is, while its blobs (and child manifests) are fetched in the background and
   * the manifest is stored after them (a manifest may only reference what the
   * registry holds).
   */
  async function cacheManifest(
    name: string,
    remoteName: string,
    reference: string,
    client: RemoteClient,
  ): Promise<RemoteManifest | undefined> {
    const { metadata } = registry.context;
    const isDigest = reference.includes(':');
    const localDigest = isDigest ? reference : await metadata.resolveTag(name, reference);
    const local = localDigest ? await metadata.findManifest(name, localDigest as Digest) : undefined;
    if (isDigest && local) return undefined;
    try {
      if (!isDigest && local) {
        const head = await Promise.race([
          client.headManifest(remoteName, reference),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('upstream timed out')), TAG_CHECK_TIMEOUT_MS).unref(),
          ),
        ]);
        if (!head || head.digest === local.digest) return undefined;
      }
      const manifest = await client.getManifest(remoteName, reference);
      if (!manifest) return undefined;
      if (await storeManifest(name, isDigest ? undefined : reference, manifest)) return undefined;
      void completeInBackground(name, remoteName, isDigest ? undefined : reference, manifest, client);
      return manifest;
    } catch (err) {
      // The cached copy (or a 404) is the answer when the upstream is down.
      logger.warn('proxy cache: upstream manifest fetch failed', {
        repository: name,
        reference,
        error: describeError(err),
      });
      return undefined;
    }
  }

  /** Stores the manifest when everything it references is cached; false otherwise. */
  async function storeManifest(name: string, tag: string | undefined, manifest: RemoteManifest) {
    const { metadata } = registry.context;
    const parsed = parseManifest(manifest.content, manifest.mediaType);
    for (const blob of parsed.blobs) if (!(await metadata.findLinkedBlob(name, blob))) return false;
    for (const child of parsed.manifests) if (!(await metadata.findManifest(name, child))) return false;
    await registry
      .repository(name)
      .manifests.put(
        tag ? { tag } : { digest: manifest.digest as Digest },
        manifest.content,
        manifest.mediaType,
      );
    logger.info('proxy cache: stored manifest', { repository: name, tag, digest: manifest.digest });
    return true;
  }

  async function completeInBackground(
    name: string,
    remoteName: string,
    tag: string | undefined,
    manifest: RemoteManifest,
    client: RemoteClient,
  ): Promise<void> {
    try {
      const parsed = parseManifest(manifest.content, manifest.mediaType);
      for (const blob of parsed.blobs) {
        if (!(await registry.context.metadata.findLinkedBlob(name, blob)))
          await fetchBlob(name, remoteName, blob, client);
      }
      for (const child of parsed.manifests) {
        if (await registry.context.metadata.findManifest(name, child)) continue;
        const fetched = await client.getManifest(remoteName, child);
        if (fetched && !(await storeManifest(name, undefined, fetched)))
          await completeInBackground(name, remoteName, undefined, fetched, client);
      }
      if (!(await storeManifest(name, tag, manifest)))
        logger.warn('proxy cache: manifest not cached, content missing upstream', {
          repository: name,
          digest: manifest.digest,
        });
    } catch (err) {
      logger.warn('proxy cache: caching a manifest failed', {
        repository: name,
        digest: manifest.digest,
        error: err,
      });
    }
  }

  /** Stores a blob from the upstream without a client waiting on its bytes. */
  async function fetchBlob(name: string, remoteName: string, digest: string, client: RemoteClient) {
    const key = `${name}@${digest}`;
    const running = inflight.get(key);
    if (running) return running.catch(() => {});
    const job = (async () => {
      const blob = await client.getBlob(remoteName, digest);
      if (!blob) return;
      await store(name, digest, blob.stream);
    })();
    inflight.set(key, job);
    try {
      await job;
    } catch (err) {
      logger.warn('proxy cache: upstream blob fetch failed', {
        repository: name,
        digest,
        error: describeError(err),
      });
    } finally {
      inflight.delete(key);
    }
  }

  async function store(name: string, digest: string, body: AsyncIterable<Uint8Array>) {
    await uploadWhole(registry.repository(name).uploads, digest as Digest, body);
  }

  /** Sends the upstream's bytes to the client as they are stored; false when the upstream lacks it or fails first. */
  async function streamBlob(
    request: FastifyRequest,
    reply: FastifyReply,
    name: string,
    remoteName: string,
    digest: string,
    client: RemoteClient,
  ): Promise<boolean> {
    const key = `${name}@${digest}`;
    let blob: Awaited<ReturnType<RemoteClient['getBlob']>>;
    try {
      blob = await client.getBlob(remoteName, digest);
    } catch (err) {
      logger.warn('proxy cache: upstream blob fetch failed', {
        repository: name,
        digest,
        error: describeError(err),
      });
      return false;
    }
    if (!blob) return false;
    const { stream, size } = blob;
    const out = reply.raw;
    reply.hijack();
    out.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': size,
      'docker-content-digest': digest,
      'docker-distribution-api-version': 'registry/2.0',
    });
    out.flushHeaders();
    // The client gets each chunk as it arrives, except the last, held back until the digest
    // verifies: bytes that fail never reach the client as a complete answer. A client that goes
    // away does not stop the caching.
    let held: Uint8Array | undefined;
    const send = async (chunk: Uint8Array) => {
      if (!out.destroyed && !out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
    };
    async function* tee() {
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        if (held) await send(held);
        held = chunk;
        yield chunk;
      }
    }
    let done!: () => void;
    inflight.set(
      key,
      new Promise<void>((resolve) => {
        done = resolve;
      }),
    );
    try {
      await store(name, digest, tee());
      if (held) await send(held);
      out.end();
      logger.info('proxy cache: stored blob', { repository: name, digest, size });
    } catch (err) {
      // Bytes that failed verification must not look like a complete answer.
      out.destroy();
      logger.warn('proxy cache: blob not cached', {
        repository: name,
        digest,
        error: err,
        remote: request.ip,
      });
    } finally {
      inflight.delete(key);
      done();
    }
    return true;
  }
}
