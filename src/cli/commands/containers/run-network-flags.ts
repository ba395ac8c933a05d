/**
 * `run`'s network and mount flags (-p, -P, --expose, --network-alias, --ip,
 * --mac-address, --dns…, --add-host, -v, --mount, --tmpfs, --volumes-from)
 * and the parts of the create body they fill, as docker's cli/command/container/opts.go.
 * The parsers are the pure ones of the network and volume modules.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { parseLink } from '../../../containers/links.js';
import { parsePortSpec } from '../../../network/ports.js';
import { parseMountSpec } from '../../../volumes/mount-spec.js';
import type { MountSpec } from '../../../volumes/types.js';
import { collect } from '../../command-spec.js';
import { each } from './flag-values.js';

export interface NetworkFlagOptions {
  network?: string;
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
  networkAlias?: string[];
  ip?: string;
  macAddress?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
  link?: string[];
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
}

export function declareNetworkFlags(cmd: Command): void {
  cmd
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect)
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--expose <list>', 'Expose a port or a range of ports', collect)
    .option('--network-alias <list>', 'Add network-scoped alias for the container', collect)
    .option('--ip <string>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--mac-address <string>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)')
    .option('--dns <list>', 'Set custom DNS servers', collect)
    .option('--dns-search <list>', 'Set custom DNS search domains', collect)
    .option('--dns-option <list>', 'Set DNS options', collect)
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect)
    .option('--link <list>', 'Add link to another container', each(linkSpec))
    .option('-v, --volume <list>', 'Bind mount a volume', collect)
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect)
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect)
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect);
}

/** docker's ValidateLink: "name[:alias]". */
function linkSpec(value: string): string {
  try {
    parseLink(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** A parsed --mount as the API's Mount object. */
function apiMount(spec: MountSpec): Record<string, unknown> {
  return {
    Type: spec.type,
    Source: spec.source,
    Target: spec.target,
    ReadOnly: spec.readOnly,
    ...(spec.type === 'bind' && (spec.propagation || spec.nonRecursive)
      ? { BindOptions: { Propagation: spec.propagation, NonRecursive: spec.nonRecursive } }
      : {}),
    ...(spec.type === 'volume'
      ? {
          VolumeOptions: {
            NoCopy: spec.noCopy ?? false,
            Labels: spec.volumeLabels ?? null,
            DriverConfig:
              spec.volumeOptions || spec.volumeDriver
                ? { Name: spec.volumeDriver ?? 'local', Options: spec.volumeOptions ?? {} }
                : null,
          },
        }
      : {}),
    ...(spec.type === 'tmpfs' ? { TmpfsOptions: { SizeBytes: spec.tmpfsSize, Mode: spec.tmpfsMode } } : {}),
  };
}

/** The create body's fields for these flags: Config fields, HostConfig fields and NetworkingConfig. */
export function networkFlagsBody(o: NetworkFlagOptions): {
  config: Record<string, unknown>;
  hostConfig: Record<string, unknown>;
  networkingConfig?: Record<string, unknown>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const spec of o.publish ?? []) {
    for (const m of parsePortSpec(spec)) {
      const key = `${m.containerPort}/${m.protocol}`;
      exposed[key] = {};
      const hostPort = m.hostPort
        ? m.hostPortEnd
          ? `${m.hostPort}-${m.hostPortEnd}`
          : String(m.hostPort)
        : '';
      bindings[key] = [...(bindings[key] ?? []), { HostIp: m.hostIp, HostPort: hostPort }];
    }
  }
  for (const spec of o.expose ?? []) {
    const [ports = '', proto = 'tcp'] = spec.split('/');
    const [start = 0, end = start] = ports.split('-').map(Number);
    for (let port = start; port <= end; port++) exposed[`${port}/${proto}`] = {};
  }
  const anonymous: Record<string, object> = {};
  const binds: string[] = [];
  for (const v of o.volume ?? []) {
    if (v.includes(':')) binds.push(v);
    else anonymous[v] = {};
  }
  const tmpfs = Object.fromEntries(
    (o.tmpfs ?? []).map((t) => {
      const colon = t.indexOf(':');
      return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
    }),
  );
  const network = o.network ?? 'default';
  const userNetwork =
    !['default', 'bridge', 'host', 'none'].includes(network) && !network.startsWith('container:');
  const endpoint = {
    // On a user-defined network a link is a DNS alias this container alone resolves.
    ...(o.link?.length && userNetwork ? { Links: o.link } : {}),
    ...(o.networkAlias?.length ? { Aliases: o.networkAlias } : {}),
    ...(o.ip ? { IPAMConfig: { IPv4Address: o.ip } } : {}),
    ...(o.macAddress ? { MacAddress: o.macAddress } : {}),
  };
  return {
    config: {
      ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
      ...(Object.keys(anonymous).length ? { Volumes: anonymous } : {}),
    },
    hostConfig: {
      PortBindings: bindings,
      PublishAllPorts: Boolean(o.publishAll),
      Dns: o.dns ?? [],
      DnsSearch: o.dnsSearch ?? [],
      DnsOptions: o.dnsOption ?? [],
      ExtraHosts: o.addHost ?? null,
      Links: o.link ?? null,
      Binds: binds.length ? binds : null,
      Mounts: (o.mount ?? []).map((m) => apiMount(parseMountSpec(m))),
      ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
      VolumesFrom: o.volumesFrom ?? null,
    },
    ...(Object.keys(endpoint).length
      ? { networkingConfig: { EndpointsConfig: { [network]: endpoint } } }
      : {}),
  };
}
