import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { familiarString, parseNormalizedNamed, tagNameOnly } from '../images/reference.js';
import { detectCompression } from '../snapshots/decompress.js';
import { unmountUnder } from '../snapshots/mount.js';
import { buildTar } from '../snapshots/tar/build.js';
import { type CommitRequest, commitContainer } from './commit.js';
import { unpackContext } from './context.js';
import { BuilderError } from './errors.js';
import { BuildExecutor, type BuildOptions, type BuildOutput, type ExecutorDeps } from './executor.js';
import { parseBuildPlan } from './instructions.js';
import { removeBuildLeftovers } from './leftovers.js';

export interface BuildServiceDeps extends ExecutorDeps {
  /** Scratch space for contexts and mounts of the builds in progress. */
  workRoot: string;
  /** Largest build context accepted, in bytes (uncompressed tar). */
  maxContextSize?: number;
}

/** The builder: `docker commit` and `docker build` (the legacy builder's API). */
export class BuildService {
  constructor(private readonly deps: BuildServiceDeps) {}

  /** Removes the RUN containers of builds that a crash interrupted. */
  removeLeftovers(): Promise<number> {
    return removeBuildLeftovers(this.deps.containers, this.deps.log);
  }

  commit(request: CommitRequest): Promise<Digest> {
    return commitContainer(this.deps, request);
  }

  /**
   * A remote context (POST /build?remote=URL): a tar (plain or compressed)
   * is the context; any other body is taken as the Dockerfile alone, as
   * dockerd does. Git repositories are not supported.
   */
  async remoteContext(url: string, dockerfile: string): Promise<AsyncIterable<Buffer>> {
    if (!/^https?:\/\//.test(url) || /\.git(#.*)?$/.test(url)) {
      throw new BuilderError(
        `unable to prepare context: only http(s) URLs of a tar archive or a Dockerfile are supported: ${url}`,
        undefined,
      );
    }
    let res: Response;
    try {
      res = await fetch(url);
    } catch (err) {
      throw new BuilderError(
        `unable to prepare context: failed to GET ${url}: ${err instanceof Error ? err.message : String(err)}`,
        undefined,
      );
    }
    if (!res.ok)
      throw new BuilderError(
        `unable to prepare context: failed to GET ${url} with status ${res.status} ${res.statusText}`,
        undefined,
      );
    const body = Buffer.from(await res.arrayBuffer());
    const isTar = body.length >= 512 && body.subarray(257, 262).toString('latin1') === 'ustar';
    const compressed = detectCompression(body.subarray(0, 8)) !== 'none';
    const tar = isTar || compressed ? body : buildTar([{ name: dockerfile || 'Dockerfile', body }]);
    return (async function* () {
      yield tar;
    })();
  }

  /**
   * Builds the Dockerfile in the context tar; tags the result. Everything the
   * build made on the way (containers, mounts, the unpacked context) is gone
   * when it returns, whether it succeeded or not.
   */
  async build(
    context: AsyncIterable<Buffer>,
    options: BuildOptions,
    out: BuildOutput,
  ): Promise<{ id: Digest; tags: string[] }> {
    const tags = options.tags.map((t) => {
      try {
        return tagNameOnly(parseNormalizedNamed(t));
      } catch (err) {
        throw new BuilderError(
          `invalid tag ${JSON.stringify(t)}: ${err instanceof Error ? err.message : String(err)}`,
          undefined,
        );
      }
    });
    const workDir = await mkdtemp(join(this.deps.workRoot, 'build-'));
    try {
      const ctx = await unpackContext(context, join(workDir, 'context'), {
        dockerfile: options.dockerfile,
        ...(this.deps.maxContextSize !== undefined ? { maxSize: this.deps.maxContextSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const plan = parseBuildPlan(ctx.dockerfile);
      const executor = new BuildExecutor(this.deps, plan, ctx, options, out, workDir);
      const id = await executor.run();
      for (const tag of tags) await this.deps.images.tag(id, familiarString(tag));
      return { id, tags: tags.map(familiarString) };
    } finally {
      await unmountUnder(workDir).catch(() => {});
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
    }
  }
}
