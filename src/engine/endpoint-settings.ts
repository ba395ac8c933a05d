import type { Endpoint, NetworkRecord } from '../network/index.js';

/** One entry of NetworkSettings.Networks in container inspect (Docker API 1.45 EndpointSettings). */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

/** The settings of an endpoint that is configured but not connected (created or stopped container). */
export function blankEndpointSettings(
  network: NetworkRecord | undefined,
  config: Partial<EndpointSettings>,
  containerConfig: Record<string, unknown>,
): EndpointSettings {
  const ipam =
    config.IPAMConfig && (config.IPAMConfig.IPv4Address || config.IPAMConfig.IPv6Address)
      ? config.IPAMConfig
      : null;
  return {
    IPAMConfig: ipam,
    Links: config.Links?.length ? config.Links : null,
    Aliases: config.Aliases?.length ? [...new Set(config.Aliases)] : null,
    // API < 1.44 sends the MAC address on the container config.
    MacAddress: config.MacAddress || String(containerConfig.MacAddress ?? ''),
    DriverOpts: config.DriverOpts ?? null,
    NetworkID: network?.id ?? config.NetworkID ?? '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** The settings of a connected endpoint. */
export function filledEndpointSettings(
  configured: EndpointSettings,
  endpoint: Endpoint,
  endpointId: string,
): EndpointSettings {
  return {
    ...configured,
    NetworkID: endpoint.networkId,
    EndpointID: endpointId,
    Gateway: endpoint.gateway,
    IPAddress: endpoint.ipAddress,
    IPPrefixLen: endpoint.prefixLength,
    MacAddress: endpoint.macAddress,
    DNSNames: endpoint.dnsNames.length ? endpoint.dnsNames : null,
  };
}
