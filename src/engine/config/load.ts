/**
 * berthd's configuration: daemon.json (dockerd's keys and meanings) merged
 * with command-line flags, checked in dockerd's order: JSON syntax, unknown
 * directives, flag/file conflicts, each value, then the whole.
 */
import { fileError, type ValueOrigin, withOrigin } from './config-error.js';
import { crossCheck, deriveSettings } from './cross-checks.js';
import { readDaemonJson } from './daemon-json.js';
import { defaultDaemonConfig } from './defaults.js';
import { checkFlagConflicts, flagDirectives, flagNameOf } from './flags.js';
import { applyDirectives, unknownDirectives } from './merge.js';
import { type DaemonConfig, type DaemonFlags, DEFAULT_CONFIG_FILE } from './types.js';

export interface LoadOptions {
  flags: DaemonFlags;
  /** Whether systemd is the init process; the systemd cgroup driver needs it. */
  systemdIsPid1: boolean;
  /**
   * The environment. No variable changes the configuration today; it is
   * accepted so tests and callers can pass an explicit one.
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads the configuration file (flags.configFile, else the default path,
 * which may be missing) and merges it with the flags. Throws an
 * InvalidArgument BerthError naming the file or flag, the key and the reason.
 */
export async function loadDaemonConfig(opts: LoadOptions): Promise<DaemonConfig> {
  const path = opts.flags.configFile ?? DEFAULT_CONFIG_FILE;
  const entries = await readDaemonJson(path, opts.flags.configFile !== undefined);
  return buildDaemonConfig({ ...opts, file: entries && { path, entries } });
}

export interface BuildOptions extends LoadOptions {
  /** The directives read from a configuration file, if one exists. */
  file: { path: string; entries: ReadonlyMap<string, unknown> } | undefined;
}

/** The merge and checks of loadDaemonConfig, for directives already read. */
export function buildDaemonConfig(opts: BuildOptions): DaemonConfig {
  const { file, flags } = opts;
  const fromFlags = flagDirectives(flags);
  if (file) checkFileDirectives(file.path, file.entries, fromFlags);

  const config = defaultDaemonConfig();
  config.configFile = file?.path;
  if (file)
    withOrigin(
      () => ({ kind: 'file', path: file.path }),
      () => applyDirectives(config, file.entries, 'file'),
    );
  withOrigin(
    (err) => ({ kind: 'flag', flag: flagNameOf(err.directive) ?? err.directive }),
    () => applyDirectives(config, fromFlags, 'flag'),
  );
  withOrigin(
    (err) => originOf(config, err.directive),
    () => {
      deriveSettings(config, flags.insecureTcp === true);
      crossCheck(config, opts.systemdIsPid1);
    },
  );
  return config;
}

function checkFileDirectives(
  path: string,
  entries: ReadonlyMap<string, unknown>,
  fromFlags: ReadonlyMap<string, unknown>,
): void {
  const unknown = unknownDirectives(entries);
  if (unknown.length > 0) {
    throw fileError(
      path,
      `the following directives don't match any configuration option: ${unknown.join(', ')}`,
    );
  }
  checkFlagConflicts(path, entries, fromFlags);
}

/** Where the current value of `directive` came from. */
function originOf(config: DaemonConfig, directive: string): ValueOrigin {
  const source = config.sources[directive];
  if (source === 'file' && config.configFile !== undefined) return { kind: 'file', path: config.configFile };
  if (source === 'flag') return { kind: 'flag', flag: flagNameOf(directive) ?? directive };
  return { kind: 'default' };
}
