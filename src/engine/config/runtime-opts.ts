/**
 * Container-execution directives: exec-opts, runtimes, default-runtime and
 * default-ulimits, with dockerd's rules.
 */
import { ConfigValueError } from './config-error.js';
import { asInteger, asString, asStringList, type Decoder, mapOf, structFields } from './decode.js';
import type { RuntimeConfig, Ulimit } from './types.js';

export type CgroupDriver = 'cgroupfs' | 'systemd';

/** Runtimes every installation knows without a "runtimes" entry. */
export const BUILTIN_RUNTIMES = ['runc', 'crun'] as const;
// dockerd reserves the stock runtime's name; a "runtimes" entry may not redefine it.
const RESERVED_RUNTIME = 'runc';

/** exec-opts: ["native.cgroupdriver=systemd"]; the only option on Linux. */
export const asExecOpts: Decoder<string[]> = (value, key) => {
  const opts = asStringList(value, key);
  opts.forEach((opt, index) => {
    parseExecOpt(opt, `${key}[${index}]`);
  });
  return opts;
};

function parseExecOpt(keyValue: string, key: string): { name: string; value: string } {
  const separator = keyValue.indexOf('=');
  const name = keyValue.slice(0, Math.max(separator, 0)).trim().toLowerCase();
  const value = keyValue.slice(separator + 1).trim();
  const fail = (why: string) => new ConfigValueError(key, `invalid exec-opt (${keyValue}): ${why}`);
  if (separator < 0 || name === '' || value === '') throw fail("must be formatted 'opt=value'");
  if (name === 'isolation') throw fail(`option '${name}' is only supported on windows`);
  if (name !== 'native.cgroupdriver') throw fail(`unknown option: '${name}'`);
  if (value === 'none')
    throw fail(`native.cgroupdriver option ${value} is internally used and cannot be specified manually`);
  if (value !== 'cgroupfs' && value !== 'systemd') {
    throw fail(`native.cgroupdriver option ${value} not supported; use cgroupfs or systemd`);
  }
  return { name, value };
}

/** The cgroup driver chosen by exec-opts (the last native.cgroupdriver wins), or `fallback`. */
export function cgroupDriverOf(execOpts: readonly string[], fallback: CgroupDriver): CgroupDriver {
  let driver = fallback;
  for (const opt of execOpts) {
    const { value } = parseExecOpt(opt, 'exec-opts');
    driver = value === 'systemd' ? 'systemd' : 'cgroupfs';
  }
  return driver;
}

/** runtimes: {"name": {"path": "/usr/bin/x", "runtimeArgs": ["--debug"]}}. */
export const asRuntimes: Decoder<Record<string, RuntimeConfig>> = mapOf((value, key) => {
  const name = key.slice(key.indexOf('.') + 1);
  if (name.toLowerCase() === RESERVED_RUNTIME) {
    throw new ConfigValueError(key, `runtime name '${RESERVED_RUNTIME}' is reserved`);
  }
  const fields = structFields(value, key, ['path', 'runtimeArgs', 'runtimeType', 'options']);
  if (fields['runtimeType'] !== undefined || fields['options'] !== undefined) {
    throw new ConfigValueError(
      key,
      'runtimeType and options (containerd shims) are not supported; set "path"',
    );
  }
  const path = fields['path'] === undefined ? '' : asString(fields['path'], `${key}.path`);
  if (path === '') throw new ConfigValueError(`${key}.path`, 'a runtime needs the path of its binary');
  const runtimeArgs =
    fields['runtimeArgs'] === undefined ? [] : asStringList(fields['runtimeArgs'], `${key}.runtimeArgs`);
  return { path, runtimeArgs };
});

/** Throws unless `name` is a built-in runtime or one defined under "runtimes". */
export function checkDefaultRuntime(name: string, runtimes: Readonly<Record<string, RuntimeConfig>>): void {
  const known = [...BUILTIN_RUNTIMES, ...Object.keys(runtimes)];
  if (!known.includes(name)) {
    throw new ConfigValueError(
      'default-runtime',
      `specified default runtime '${name}' does not exist; known runtimes: ${known.join(', ')}`,
    );
  }
}

// go-units' ulimit names ("as" is deliberately left out there too).
const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];

/** default-ulimits: {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}}; -1 means unlimited. */
export const asUlimits: Decoder<Record<string, Ulimit>> = mapOf((value, key) => {
  const mapName = key.slice(key.indexOf('.') + 1);
  const fields = structFields(value, key, ['Name', 'Soft', 'Hard']);
  const name = fields['Name'] === undefined ? mapName : asString(fields['Name'], `${key}.Name`);
  if (!ULIMIT_NAMES.includes(name)) throw new ConfigValueError(key, `invalid ulimit type: ${name}`);
  if (name !== mapName)
    throw new ConfigValueError(`${key}.Name`, `"${name}" does not match its key "${mapName}"`);
  const soft = limitValue(fields['Soft'], `${key}.Soft`);
  const hard = limitValue(fields['Hard'], `${key}.Hard`);
  if (hard !== -1 && (soft === -1 || soft > hard)) {
    throw new ConfigValueError(
      key,
      `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`,
    );
  }
  return { name, soft, hard };
});

function limitValue(value: unknown, key: string): number {
  if (value === undefined) throw new ConfigValueError(key, 'missing; expected an integer (-1 for unlimited)');
  const limit = asInteger(value, key);
  if (limit < -1) throw new ConfigValueError(key, `${limit} is not a valid limit (-1 means unlimited)`);
  return limit;
}
