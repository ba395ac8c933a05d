import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this compiled file (dist/testing/). */
export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const bin = (name: 'berthd' | 'berth' | 'berth-registry') => resolve(repoRoot, 'bin', name);

/** The shared fixtures live beside the repository; BERTH_FIXTURES overrides. */
export const fixturesDir = process.env.BERTH_FIXTURES ?? resolve(repoRoot, '..', 'shared', 'fixtures');

/** busybox as `docker save` wrote it. */
export const busyboxArchive = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

/** The real Docker CLI, when this machine has one. */
export function dockerCli(): string | undefined {
  for (const candidate of [process.env.DOCKER_CLI, '/usr/local/bin/docker', '/usr/bin/docker']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}
