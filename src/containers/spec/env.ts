/** The PATH every Linux container starts with unless its image or request sets one (dockerd's). */
export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const keyOf = (entry: string): string => {
  const equals = entry.indexOf('=');
  return equals === -1 ? entry : entry.slice(0, equals);
};

/**
 * The container's configured environment, as dockerd's `merge` builds it:
 * the request's entries first, then every image entry whose key the
 * request does not set.
 */
export function mergeImageEnv(
  requestEnv: readonly string[] = [],
  imageEnv: readonly string[] = [],
): string[] {
  if (requestEnv.length === 0) return [...imageEnv];
  const requestKeys = new Set(requestEnv.map(keyOf));
  return [...requestEnv, ...imageEnv.filter((entry) => !requestKeys.has(keyOf(entry)))];
}

/**
 * The process environment (dockerd's `CreateDaemonEnvironment`): PATH,
 * HOSTNAME and, with a TTY, TERM=xterm come first, then the variables of
 * legacy links; configured entries
 * replace those with the same key or are appended in order; an entry
 * without `=` removes that key.
 */
export function processEnv(
  configured: readonly string[],
  hostname: string,
  tty: boolean,
  linked: readonly string[] = [],
): string[] {
  const env = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : []), ...linked];
  return replaceOrAppendEnv(env, configured);
}

/** Docker's `ReplaceOrAppendEnvValues`; a later duplicate key replaces the earlier entry. */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const result: (string | undefined)[] = [...defaults];
  const index = new Map(result.map((entry, i) => [keyOf(entry ?? ''), i]));
  for (const entry of overrides) {
    const key = keyOf(entry);
    const at = index.get(key);
    if (!entry.includes('=')) {
      if (at !== undefined) result[at] = undefined;
      continue;
    }
    if (at !== undefined && result[at] !== undefined) {
      result[at] = entry;
    } else {
      index.set(key, result.length);
      result.push(entry);
    }
  }
  return result.filter((entry): entry is string => entry !== undefined);
}
