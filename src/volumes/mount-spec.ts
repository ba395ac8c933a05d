import { posix } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { parseRamSize } from '../core/units.js';
import type { BindPropagation, MountSpec, MountType } from './types.js';

const PROPAGATIONS = new Set<string>(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const CONSISTENCIES = new Set(['consistent', 'cached', 'delegated', 'default']);

/**
 * Parses `-v` / `--volume` (HostConfig.Binds):
 * `/container/path` (anonymous volume), `name:/path[:opts]` (named volume)
 * or `/host/path:/path[:opts]` (bind), where opts is a comma list of ro|rw,
 * z|Z, nocopy (volumes), a propagation (binds) and a consistency (ignored).
 */
export function parseVolumeSpec(text: string): MountSpec {
  const parts = text.split(':');
  if (parts.length === 1)
    return { type: 'volume', source: '', target: checkTarget(parts[0] ?? '', text), readOnly: false };
  if (parts.length > 3 || (parts.length === 2 && isModeList(parts[1] ?? ''))) {
    throw invalidArgument(`invalid volume specification: '${text}'`);
  }
  const [source = '', target = '', modes = ''] = parts;
  if (!source) throw invalidArgument(`invalid volume specification: '${text}': empty source`);
  const type: MountType = source.startsWith('/') ? 'bind' : 'volume';
  const spec: MountSpec = {
    type,
    source: type === 'bind' ? posix.normalize(source) : source,
    target: checkTarget(target, text),
    readOnly: false,
  };
  for (const mode of modes ? modes.split(',') : []) applyMode(spec, mode, text);
  return spec;
}

/**
 * Parses `--mount` (HostConfig.Mounts in CSV form):
 * `type=bind|volume|tmpfs,source=…,target=…,readonly,volume-nocopy,
 * volume-label=k=v,volume-opt=k=v,volume-driver=…,bind-propagation=…,
 * bind-nonrecursive,tmpfs-size=…,tmpfs-mode=…`; values may be CSV-quoted.
 */
export function parseMountSpec(text: string): MountSpec {
  const spec: MountSpec = { type: 'volume', source: '', target: '', readOnly: false };
  for (const field of splitCsv(text)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    applyMountField(spec, key, value, text);
  }
  if (!spec.target) throw invalidArgument(`invalid mount "${text}": target is required`);
  checkTarget(spec.target, text);
  if (spec.type === 'bind' && !spec.source)
    throw invalidArgument(`invalid mount "${text}": source is required for a bind`);
  if (spec.type === 'tmpfs' && spec.source)
    throw invalidArgument(`invalid mount "${text}": a tmpfs has no source`);
  if (spec.type !== 'volume' && (spec.noCopy || spec.volumeOptions || spec.volumeLabels)) {
    throw invalidArgument(`invalid mount "${text}": volume options are only for type=volume`);
  }
  return spec;
}

/** Parses `--tmpfs /path[:opts]` (HostConfig.Tmpfs), e.g. `/run:size=64m,mode=1777`. */
export function parseTmpfsSpec(text: string): MountSpec {
  const colon = text.indexOf(':');
  const target = checkTarget(colon < 0 ? text : text.slice(0, colon), text);
  const options =
    colon < 0
      ? []
      : text
          .slice(colon + 1)
          .split(',')
          .filter(Boolean);
  return {
    type: 'tmpfs',
    source: '',
    target,
    readOnly: options.includes('ro'),
    tmpfsOptions: options.filter((o) => o !== 'ro' && o !== 'rw'),
  };
}

function applyMountField(spec: MountSpec, key: string, value: string | undefined, text: string): void {
  const need = (): string => {
    if (value === undefined) throw invalidArgument(`invalid mount "${text}": ${key} needs a value`);
    return value;
  };
  switch (key) {
    case 'type': {
      const type = need();
      if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs')
        throw invalidArgument(`invalid mount type "${type}" (bind, volume and tmpfs are supported)`);
      spec.type = type;
      return;
    }
    case 'source':
    case 'src':
      spec.source = need();
      return;
    case 'target':
    case 'destination':
    case 'dst':
      spec.target = need();
      return;
    case 'readonly':
    case 'ro':
      spec.readOnly = parseFlag(value, key, text);
      return;
    case 'volume-nocopy':
      spec.noCopy = parseFlag(value, key, text);
      return;
    case 'volume-driver':
      spec.volumeDriver = need();
      return;
    case 'volume-label':
      spec.volumeLabels = { ...spec.volumeLabels, ...keyValue(need(), key, text) };
      return;
    case 'volume-opt':
      spec.volumeOptions = { ...spec.volumeOptions, ...keyValue(need(), key, text) };
      return;
    case 'bind-propagation':
      spec.propagation = propagationOf(need(), text);
      return;
    case 'bind-nonrecursive':
      spec.nonRecursive = parseFlag(value, key, text);
      return;
    case 'tmpfs-size':
      spec.tmpfsSize = parseRamSize(need());
      return;
    case 'tmpfs-mode':
      spec.tmpfsMode = parseOctal(need(), text);
      return;
    case 'consistency':
      return;
    default:
      throw invalidArgument(`invalid mount "${text}": unexpected key "${key}"`);
  }
}

function applyMode(spec: MountSpec, mode: string, text: string): void {
  if (mode === 'ro' || mode === 'rw') spec.readOnly = mode === 'ro';
  else if (mode === 'z' || mode === 'Z') spec.selinuxLabel = mode;
  else if (mode === 'nocopy' && spec.type === 'volume') spec.noCopy = true;
  else if (PROPAGATIONS.has(mode) && spec.type === 'bind') spec.propagation = mode as BindPropagation;
  else if (!CONSISTENCIES.has(mode)) throw invalidArgument(`invalid mode: ${mode} in '${text}'`);
}

function isModeList(text: string): boolean {
  const known = (mode: string) => ['ro', 'rw', 'z', 'Z', 'nocopy'].includes(mode) || PROPAGATIONS.has(mode);
  return text.split(',').every(known);
}

function checkTarget(target: string, text: string): string {
  if (!target.startsWith('/'))
    throw invalidArgument(`invalid mount config for '${text}': mount path must be absolute`);
  const normal = posix.normalize(target);
  if (normal === '/') throw invalidArgument(`invalid mount config for '${text}': cannot mount over /`);
  return normal.replace(/\/$/, '');
}

function propagationOf(value: string, text: string): BindPropagation {
  if (!PROPAGATIONS.has(value))
    throw invalidArgument(`invalid mount "${text}": invalid propagation mode "${value}"`);
  return value as BindPropagation;
}

function parseFlag(value: string | undefined, key: string, text: string): boolean {
  if (value === undefined || ['1', 'true'].includes(value.toLowerCase())) return true;
  if (['0', 'false'].includes(value.toLowerCase())) return false;
  throw invalidArgument(`invalid mount "${text}": invalid value for ${key}: ${value}`);
}

function parseOctal(value: string, text: string): number {
  if (!/^[0-7]{1,4}$/.test(value))
    throw invalidArgument(`invalid mount "${text}": invalid tmpfs-mode ${value}`);
  return Number.parseInt(value, 8);
}

function keyValue(text: string, key: string, spec: string): Record<string, string> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw invalidArgument(`invalid mount "${spec}": ${key} expects key=value, got "${text}"`);
  return { [text.slice(0, eq)]: text.slice(eq + 1) };
}

/** Splits one CSV record (Go's encoding/csv: fields may be wrapped in "…", with "" for a quote). */
function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (char === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  if (quoted) throw invalidArgument(`invalid mount "${text}": unterminated quote`);
  fields.push(field);
  return fields.filter((f) => f.length > 0);
}
