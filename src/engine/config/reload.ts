/**
 * Configuration reload on SIGHUP, with dockerd's semantics: only some
 * directives change at run time; a changed non-reloadable directive keeps its
 * old value (the caller logs it); an invalid file changes nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import { type LoadOptions, loadDaemonConfig } from './load.js';
import { copyDirective, directiveValue, knownDirectives } from './merge.js';
import type { DaemonConfig } from './types.js';

/** dockerd's reloadable directives, plus log-level (berthd's logger can change level at run time). */
export const reloadableKeys = [
  'debug',
  'log-level',
  'labels',
  'max-concurrent-downloads',
  'max-concurrent-uploads',
  'max-download-attempts',
  'registry-mirrors',
  'insecure-registries',
  'live-restore',
  'default-runtime',
  'runtimes',
  'shutdown-timeout',
  'features',
  'default-shm-size',
  'authorization-plugins',
  'default-ipc-mode',
  'default-cgroupns-mode',
  'default-stop-timeout',
  'nri-opts',
  'network-diagnostic-port',
] as const;

export type ReloadableKey = (typeof reloadableKeys)[number];

const RELOADABLE: ReadonlySet<string> = new Set(reloadableKeys);

export function isReloadableKey(key: string): key is ReloadableKey {
  return RELOADABLE.has(key);
}

/** The reloadable directives whose values differ between `old` and `next`. */
export function diffReloadable(old: DaemonConfig, next: DaemonConfig): ReloadableKey[] {
  return reloadableKeys.filter((key) => changed(old, next, key));
}

/** The directives that differ but cannot change without a restart. */
export function diffNonReloadable(old: DaemonConfig, next: DaemonConfig): string[] {
  return knownDirectives().filter((key) => !isReloadableKey(key) && changed(old, next, key));
}

function changed(old: DaemonConfig, next: DaemonConfig, key: string): boolean {
  return !isDeepStrictEqual(directiveValue(old, key), directiveValue(next, key));
}

export interface ReloadResult {
  /** The configuration to run with: `current` with the reloadable changes applied. */
  config: DaemonConfig;
  /** Reloadable directives that changed and were applied. */
  changed: ReloadableKey[];
  /** Directives that changed in the file but need a restart; their old values were kept. */
  ignored: string[];
}

/**
 * Re-reads the configuration with the same flags and applies what can be
 * applied at run time. Throws (leaving `current` as it was) when the file
 * is invalid; the caller logs the error and keeps running with `current`.
 */
export async function reloadDaemonConfig(current: DaemonConfig, opts: LoadOptions): Promise<ReloadResult> {
  const next = await loadDaemonConfig(opts);
  return mergeReload(current, next);
}

/** `current` with the reloadable directives of `next`; `current` itself is not modified. */
export function mergeReload(current: DaemonConfig, next: DaemonConfig): ReloadResult {
  const config = structuredClone(current);
  const changedKeys = diffReloadable(current, next);
  for (const key of changedKeys) copyDirective(config, next, key);
  return { config, changed: changedKeys, ignored: diffNonReloadable(current, next) };
}
