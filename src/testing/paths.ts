import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this compiled file (dist/testing/). */
export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const bin = (name: 'berthd' | 'berth' | 'berth-registry') => resolve(repoRoot, 'bin', name);

/**
 * The shared fixtures live beside the repository (`../shared/fixtures`); BERTH_FIXTURES
 * names another folder laid out the same way (image archives in its `images/`).
 */
export const fixturesDir = process.env.BERTH_FIXTURES ?? resolve(repoRoot, '..', 'shared', 'fixtures');

/** The image archives real Docker, Podman and skopeo wrote. */
export const imageFixturesDir = join(fixturesDir, 'images');

/** busybox as `docker save` wrote it. */
export const busyboxArchive = join(imageFixturesDir, 'busybox.docker-archive.tar');

/**
 * Why a suite that loads image fixtures cannot run here, or false when they are present.
 * A repository cloned on its own has no ../shared beside it: its fixture suites skip with
 * this reason instead of failing. Use as `describe(name, { skip: fixturesMissing || … })`.
 */
export const fixturesMissing: string | false = existsSync(busyboxArchive)
  ? false
  : `image fixtures not found at ${imageFixturesDir} (clone beside shared/ or set BERTH_FIXTURES)`;

/** The real Docker CLI, when this machine has one. */
export function dockerCli(): string | undefined {
  for (const candidate of [process.env.DOCKER_CLI, '/usr/local/bin/docker', '/usr/bin/docker']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}
