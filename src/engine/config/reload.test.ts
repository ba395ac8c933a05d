import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { loadDaemonConfig } from './load.js';
import { diffNonReloadable, diffReloadable, reloadableKeys, reloadDaemonConfig } from './reload.js';
import { assertConfigError, withConfigFile } from './test-helpers.js';
import type { DaemonFlags } from './types.js';

/** Loads `before`, rewrites the file with `after`, and reloads. */
async function reloadFrom(
  before: Record<string, unknown>,
  after: string | Record<string, unknown>,
  flags: DaemonFlags = {},
) {
  return withConfigFile(before, async (path) => {
    const opts = { flags: { ...flags, configFile: path }, systemdIsPid1: true };
    const current = await loadDaemonConfig(opts);
    const snapshot = structuredClone(current);
    await writeFile(path, typeof after === 'string' ? after : JSON.stringify(after));
    const outcome = await reloadDaemonConfig(current, opts).catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    );
    assert.deepEqual(current, snapshot, 'the running configuration must not be modified');
    return { current, outcome };
  });
}

describe('reloadableKeys', () => {
  it("holds dockerd's reloadable directives and log-level", () => {
    for (const key of [
      'debug',
      'log-level',
      'labels',
      'max-concurrent-downloads',
      'max-concurrent-uploads',
    ]) {
      assert.ok((reloadableKeys as readonly string[]).includes(key), key);
    }
    for (const key of [
      'registry-mirrors',
      'insecure-registries',
      'live-restore',
      'default-runtime',
      'runtimes',
    ]) {
      assert.ok((reloadableKeys as readonly string[]).includes(key), key);
    }
    for (const key of ['shutdown-timeout', 'features'])
      assert.ok((reloadableKeys as readonly string[]).includes(key));
    assert.ok(!(reloadableKeys as readonly string[]).includes('data-root'));
  });
});

describe('diffReloadable', () => {
  it('returns the reloadable directives that changed', async () => {
    const { current, outcome } = await reloadFrom({}, {});
    assert.ok(!(outcome instanceof Error));
    const next = structuredClone(current);
    next.debug = true;
    next.labels = ['a=1'];
    next.runtimes = { fast: { path: '/usr/bin/fast', runtimeArgs: [] } };
    next.dataRoot = '/elsewhere';
    assert.deepEqual(diffReloadable(current, next), ['debug', 'labels', 'runtimes']);
    assert.deepEqual(diffNonReloadable(current, next), ['data-root']);
    assert.deepEqual(diffReloadable(current, structuredClone(current)), []);
  });
});

describe('reloadDaemonConfig', () => {
  it('applies reloadable changes and keeps the old value of the others', async () => {
    const { current, outcome } = await reloadFrom(
      { debug: false, 'data-root': '/srv/a', features: { cdi: true } },
      { debug: true, 'log-level': 'debug', 'data-root': '/srv/b', 'max-concurrent-downloads': 10 },
    );
    if (outcome instanceof Error) throw outcome;
    assert.deepEqual(outcome.changed, ['debug', 'log-level', 'max-concurrent-downloads', 'features']);
    assert.deepEqual(outcome.ignored, ['data-root']);
    assert.equal(outcome.config.debug, true);
    assert.equal(outcome.config.logLevel, 'debug');
    assert.equal(outcome.config.maxConcurrentDownloads, 10);
    assert.deepEqual(outcome.config.features, {});
    assert.equal(outcome.config.dataRoot, '/srv/a');
    assert.equal(current.dataRoot, '/srv/a');
    assert.equal(outcome.config.sources['log-level'], 'file');
    assert.equal(outcome.config.sources['features'], undefined);
  });

  it('reloads extra directives that dockerd reloads', async () => {
    const { outcome } = await reloadFrom({}, { 'default-ipc-mode': 'shareable', 'cgroup-parent': 'x.slice' });
    if (outcome instanceof Error) throw outcome;
    assert.deepEqual(outcome.changed, ['default-ipc-mode']);
    assert.deepEqual(outcome.ignored, ['cgroup-parent']);
    assert.deepEqual(outcome.config.extraOptions, { 'default-ipc-mode': 'shareable' });
  });

  it('keeps the whole old configuration when the file is invalid', async () => {
    const broken = await reloadFrom({ debug: true }, '{"debug": false,');
    assertConfigError(broken.outcome, ['invalid JSON at line 1']);
    const invalid = await reloadFrom({ debug: true }, { debug: false, 'log-level': 'loud' });
    assertConfigError(invalid.outcome, ['log-level']);
  });

  it('still refuses a directive that a flag also sets', async () => {
    const { outcome } = await reloadFrom({}, { debug: true }, { debug: false });
    assertConfigError(outcome, ['specified both as a flag and in the configuration file', 'debug']);
  });
});
