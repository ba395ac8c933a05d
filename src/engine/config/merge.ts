/**
 * Applying directives (from the file or from flags) onto a configuration,
 * and reading a directive's value back by its daemon.json key.
 */
import { DIRECTIVES, type Directive } from './directives.js';
import { EXTRA_DIRECTIVES } from './extra-directives.js';
import type { DaemonConfig, ValueSource } from './types.js';

function modelled(key: string): Directive | undefined {
  return Object.hasOwn(DIRECTIVES, key) ? DIRECTIVES[key] : undefined;
}

function extra(key: string) {
  return Object.hasOwn(EXTRA_DIRECTIVES, key) ? EXTRA_DIRECTIVES[key] : undefined;
}

/** Every daemon.json key berthd accepts. */
export function knownDirectives(): string[] {
  return [...Object.keys(DIRECTIVES), ...Object.keys(EXTRA_DIRECTIVES)];
}

/** The keys of `entries` that are no dockerd directive, sorted. */
export function unknownDirectives(entries: ReadonlyMap<string, unknown>): string[] {
  return [...entries.keys()].filter((key) => !modelled(key) && !extra(key)).sort();
}

/**
 * Checks each entry and stores it into `config`, recording `source`. A null
 * value leaves the directive unset, as Go's decoder does. Throws a
 * ConfigValueError for the first bad value.
 */
export function applyDirectives(
  config: DaemonConfig,
  entries: ReadonlyMap<string, unknown>,
  source: ValueSource,
): void {
  for (const [key, value] of entries) {
    if (value === null) continue;
    const directive = modelled(key);
    if (directive) {
      directive.apply(config, value, key);
    } else {
      const decode = extra(key);
      if (!decode) throw new Error(`unknown directive ${key}`);
      config.extraOptions[key] = decode(value, key);
    }
    config.sources[key] = source;
  }
}

/** The current value of the directive `key` (undefined when unknown or unset). */
export function directiveValue(config: DaemonConfig, key: string): unknown {
  const directive = modelled(key);
  if (directive) return config[directive.field];
  return Object.hasOwn(config.extraOptions, key) ? config.extraOptions[key] : undefined;
}

/** Copies the directive `key` (value and source) from `from` into `into`. */
export function copyDirective(into: DaemonConfig, from: DaemonConfig, key: string): void {
  const directive = modelled(key);
  if (directive) {
    copyField(into, from, directive.field);
  } else if (Object.hasOwn(from.extraOptions, key)) {
    into.extraOptions[key] = structuredClone(from.extraOptions[key] ?? null);
  } else {
    delete into.extraOptions[key];
  }
  const source = from.sources[key];
  if (source) into.sources[key] = source;
  else delete into.sources[key];
}

function copyField<K extends keyof DaemonConfig>(into: DaemonConfig, from: DaemonConfig, field: K): void {
  into[field] = structuredClone(from[field]);
}
