import { mkdir, readFile } from 'node:fs/promises';
import { applyLayer } from '../snapshots/apply.js';
import { PatternMatcher, readDockerignore } from './dockerignore.js';
import { BuilderError } from './errors.js';
import { resolveInScope } from './scope.js';

/** An unpacked build context. */
export interface BuildContext {
  root: string;
  ignore: PatternMatcher;
  dockerfile: string;
}

/**
 * Unpacks the context tar (plain or compressed) into `root` — entries that
 * would leave it are refused — counting bytes against `maxSize`, then reads
 * the Dockerfile and `.dockerignore` from it.
 */
export async function unpackContext(
  body: AsyncIterable<Buffer>,
  root: string,
  options: { maxSize?: number; dockerfile: string; signal?: AbortSignal },
): Promise<BuildContext> {
  await mkdir(root, { recursive: true });
  // hash: false — a context has no digest to check, and sha256 is half the cost of unpacking big files.
  await applyLayer(root, limited(body, options.maxSize), {
    whiteouts: 'remove',
    hash: false,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const ignoreText = await readFile(`${root}/.dockerignore`, 'utf8').catch(() => '');
  const ignore = new PatternMatcher(readDockerignore(ignoreText));
  const name = options.dockerfile || 'Dockerfile';
  const rel = await resolveInScope(root, name);
  let dockerfile: string;
  try {
    dockerfile = await readFile(`${root}/${rel}`, 'utf8');
  } catch {
    // dockerd also accepts the lower-case name when the default is missing.
    const fallback =
      name === 'Dockerfile' ? await readFile(`${root}/dockerfile`, 'utf8').catch(() => undefined) : undefined;
    if (fallback === undefined)
      throw new BuilderError(`Cannot locate specified Dockerfile: ${name}`, undefined);
    dockerfile = fallback;
  }
  return { root, ignore, dockerfile };
}

async function* limited(body: AsyncIterable<Buffer>, maxSize: number | undefined): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (maxSize !== undefined && total > maxSize) {
      throw new BuilderError(`build context is larger than the limit of ${maxSize} bytes`, undefined);
    }
    yield chunk;
  }
}
