/**
 * Helpers for the configuration tests: real daemon.json files in a temporary
 * directory, and assertions on the errors the loader raises.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError, ErrorKind } from '../../core/errors.js';
import { type LoadOptions, loadDaemonConfig } from './load.js';
import type { DaemonConfig, DaemonFlags } from './types.js';

/** Runs `fn` with the path of a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-config-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `content` (an object is serialised as JSON) to daemon.json in a temp dir and runs `fn` with its path. */
export async function withConfigFile<T>(
  content: string | Uint8Array | Record<string, unknown>,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  return withTempDir(async (dir) => {
    const path = join(dir, 'daemon.json');
    const data =
      typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content);
    await writeFile(path, data);
    return fn(path);
  });
}

/** Loads `content` as daemon.json (with extra flags) the way berthd would. */
export async function loadWith(
  content: string | Uint8Array | Record<string, unknown>,
  flags: DaemonFlags = {},
  options: Partial<LoadOptions> = {},
): Promise<DaemonConfig> {
  return withConfigFile(content, (path) =>
    loadDaemonConfig({ systemdIsPid1: true, env: {}, ...options, flags: { ...flags, configFile: path } }),
  );
}

/**
 * Asserts that loading `content` fails with an InvalidArgument error whose
 * message contains the file path and every one of `parts`.
 */
export async function assertFileError(
  content: string | Uint8Array | Record<string, unknown>,
  parts: readonly string[],
  flags: DaemonFlags = {},
  options: Partial<LoadOptions> = {},
): Promise<BerthError> {
  return withConfigFile(content, async (path) => {
    const err = await loadDaemonConfig({
      systemdIsPid1: true,
      env: {},
      ...options,
      flags: { ...flags, configFile: path },
    }).then(
      () => assert.fail(`expected loading ${JSON.stringify(content)} to fail`),
      (e: unknown) => e,
    );
    assertConfigError(err, [path, ...parts]);
    return err;
  });
}

/** Asserts `err` is an InvalidArgument BerthError whose message contains every one of `parts`. */
export function assertConfigError(err: unknown, parts: readonly string[]): asserts err is BerthError {
  assert.ok(err instanceof BerthError, `expected a BerthError, got ${String(err)}`);
  assert.equal(err.kind, ErrorKind.InvalidArgument, err.message);
  for (const part of parts) {
    assert.ok(err.message.includes(part), `expected "${part}" in: ${err.message}`);
  }
}
