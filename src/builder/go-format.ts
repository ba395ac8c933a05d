/**
 * The Go formatting the legacy builder puts into history entries
 * (`CMD ["sh" "-c" "x"]` is `fmt.Sprintf("CMD %q", cmd)`) and the full
 * container.Config shape it writes into image configs.
 */
import type { ContainerConfig } from '../images/config.js';

/** Go's `%q` of a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map((item) => JSON.stringify(item)).join(' ')}]`;
}

/** Go's time.Duration String() for whole nanoseconds. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = trim((ns % 60e9) / 1e9);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(9)));
}

/** Go's `%q` of an int: a quoted rune literal, as `'\x03'`. */
export function goQuoteRune(value: number): string {
  if (value >= 0x20 && value < 0x7f && value !== 0x27 && value !== 0x5c)
    return `'${String.fromCharCode(value)}'`;
  if (value < 0x100) return `'\\x${value.toString(16).padStart(2, '0')}'`;
  return `'\\u${value.toString(16).padStart(4, '0')}'`;
}

/** Go's encoding/json writes map keys sorted; the config's bytes (and so the image ID) depend on it. */
function sortedMap<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Docker's container.Config with every field it always writes, in its order. */
export function fullConfig(config: ContainerConfig): ContainerConfig {
  return {
    Hostname: config.Hostname ?? '',
    Domainname: config.Domainname ?? '',
    User: config.User ?? '',
    AttachStdin: config.AttachStdin ?? false,
    AttachStdout: config.AttachStdout ?? false,
    AttachStderr: config.AttachStderr ?? false,
    ...(config.ExposedPorts && Object.keys(config.ExposedPorts).length > 0
      ? { ExposedPorts: sortedMap(config.ExposedPorts) }
      : {}),
    Tty: config.Tty ?? false,
    OpenStdin: config.OpenStdin ?? false,
    StdinOnce: config.StdinOnce ?? false,
    Env: config.Env ?? null,
    Cmd: config.Cmd ?? null,
    ...(config.Healthcheck ? { Healthcheck: config.Healthcheck } : {}),
    ...(config.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: config.Image ?? '',
    Volumes: config.Volumes && Object.keys(config.Volumes).length > 0 ? sortedMap(config.Volumes) : null,
    WorkingDir: config.WorkingDir ?? '',
    Entrypoint: config.Entrypoint ?? null,
    ...(config.NetworkDisabled ? { NetworkDisabled: true } : {}),
    ...(config.MacAddress ? { MacAddress: config.MacAddress } : {}),
    OnBuild: config.OnBuild && config.OnBuild.length > 0 ? config.OnBuild : null,
    Labels: config.Labels && Object.keys(config.Labels).length > 0 ? sortedMap(config.Labels) : null,
    ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
    ...(config.StopTimeout !== undefined ? { StopTimeout: config.StopTimeout } : {}),
    ...(config.Shell && config.Shell.length > 0 ? { Shell: config.Shell } : {}),
  };
}
