// Temporary; replaced by the full loader's reload rules.
import type { DaemonConfig } from './types.js';

export const reloadableKeys = [
  'debug',
  'logLevel',
  'labels',
  'registryMirrors',
  'insecureRegistries',
] as const;

export function diffReloadable(old: DaemonConfig, next: DaemonConfig): string[] {
  return reloadableKeys.filter((k) => JSON.stringify(old[k]) !== JSON.stringify(next[k]));
}
