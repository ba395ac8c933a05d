import type { ContainerRecord } from './record.js';

/** Port keys "80/tcp" of a filter value "80", "80/udp" or a range "8000-8002/tcp". */
function portKeys(value: string): string[] {
  const [ports = '', proto = 'tcp'] = value.split('/');
  const [start = Number.NaN, end = start] = ports.split('-').map(Number);
  const keys: string[] = [];
  for (let port = start; port <= end && keys.length < 65536; port++) keys.push(`${port}/${proto}`);
  return keys;
}

/**
 * docker ps's `network`, `volume`, `publish` and `expose` filters: a network
 * by name or ID, a volume by name or mount destination, a container port
 * (or range) that is published or exposed. Values of one filter are alternatives.
 */
export function matchesNetworkFilters(record: ContainerRecord, filters: Record<string, string[]>): boolean {
  const any = (values: string[] | undefined, test: (value: string) => boolean) =>
    !values?.length || values.some(test);
  const networks = (record.NetworkSettings.Networks ?? {}) as Record<string, { NetworkID?: string }>;
  const ports = (record.NetworkSettings.Ports ?? {}) as Record<string, unknown[] | null>;
  const exposed = (record.Config.ExposedPorts ?? {}) as Record<string, unknown>;
  return (
    any(filters.network, (v) =>
      Object.entries(networks).some(
        ([name, settings]) => name === v || Boolean(settings.NetworkID?.startsWith(v)),
      ),
    ) &&
    any(filters.volume, (v) =>
      record.Mounts.some((m) => m.Name === v || m.Destination === v || m.Source === v),
    ) &&
    any(filters.publish, (v) => portKeys(v).some((key) => (ports[key]?.length ?? 0) > 0)) &&
    any(filters.expose, (v) => portKeys(v).some((key) => key in exposed))
  );
}
