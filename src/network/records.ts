import { randomBytes } from 'node:crypto';
import { conflict, invalidArgument, notFound } from '../core/errors.js';
import type { NetworkCreateRequest, NetworkDriverName, NetworkRecord } from './types.js';

/** Docker's rule for network names. */
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The option naming a bridge network's Linux bridge. */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** A new 64-hex-digit ID, like Docker's. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** Throws InvalidArgument unless Docker would accept this network name. */
export function checkNetworkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw invalidArgument(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
}

/** A record with Docker's defaults for what the request leaves out (addressing is added by the caller). */
export function newNetworkRecord(request: NetworkCreateRequest, id = newId()): NetworkRecord {
  checkNetworkName(request.name);
  const driver: NetworkDriverName = request.driver ?? 'bridge';
  return {
    id,
    name: request.name,
    driver,
    created: new Date().toISOString(),
    internal: request.internal ?? false,
    attachable: request.attachable ?? false,
    ipamUserConfigured: request.subnet !== undefined,
    labels: { ...request.labels },
    options: { ...request.options },
    predefined: false,
  };
}

/** The predefined `host` or `none` network. */
export function passiveNetworkRecord(name: 'host' | 'none'): NetworkRecord {
  const record = newNetworkRecord({ name, driver: name === 'host' ? 'host' : 'null' });
  return { ...record, predefined: true };
}

/**
 * Finds a network as Docker does: by full ID, then by exact name, then by a
 * unique ID prefix. NotFound otherwise; Conflict when a prefix is ambiguous.
 */
export function findNetwork(networks: Iterable<NetworkRecord>, ref: string): NetworkRecord {
  const all = [...networks];
  const exact = all.find((network) => network.id === ref) ?? all.find((network) => network.name === ref);
  if (exact) return exact;
  const byPrefix = ref.length > 0 ? all.filter((network) => network.id.startsWith(ref)) : [];
  if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
  if (byPrefix.length > 1)
    throw conflict(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
  throw notFound(`network ${ref} not found`);
}

/** Filters of `docker network ls` / `GET /networks`. */
export interface NetworkFilters {
  /** Substrings of the name. */
  name?: string[];
  /** Prefixes of the ID. */
  id?: string[];
  driver?: string[];
  /** "key" or "key=value". */
  label?: string[];
  /** "custom" or "builtin". */
  type?: string[];
  /** true: only networks without endpoints; false: only those with. */
  dangling?: boolean;
}

/** Whether a network passes every filter (values of one filter are alternatives). */
export function matchesFilters(
  network: NetworkRecord,
  filters: NetworkFilters,
  endpointCount: number,
): boolean {
  const anyOf = (values: string[] | undefined, test: (value: string) => boolean) =>
    !values || values.length === 0 || values.some(test);
  return (
    anyOf(filters.name, (value) => network.name.includes(value)) &&
    anyOf(filters.id, (value) => network.id.startsWith(value)) &&
    anyOf(filters.driver, (value) => network.driver === value) &&
    (filters.label ?? []).every((value) => hasLabel(network.labels, value)) &&
    anyOf(filters.type, (value) => (value === 'builtin') === network.predefined) &&
    (filters.dangling === undefined || filters.dangling === (endpointCount === 0))
  );
}

function hasLabel(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
