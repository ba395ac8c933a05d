/**
 * The rest of dockerd's Linux daemon.json directives. berthd accepts them so
 * an existing daemon.json keeps working: each value is type-checked and kept
 * in DaemonConfig.extraOptions under its key.
 */
import { ConfigValueError } from './config-error.js';
import {
  asBoolean,
  asJson,
  asObject,
  asString,
  asStringList,
  asStringMap,
  checkedString,
  type Decoder,
  integerIn,
  listOf,
  mapOf,
  oneOf,
  structFields,
} from './decode.js';
import { checkIpAddress, parseCidr } from './network.js';
import type { JsonValue } from './types.js';

function cidrOf(family: 4 | 6): Decoder<string> {
  return checkedString((text) => {
    if (parseCidr(text).family !== family) throw new Error(`"${text}" is not an IPv${family} CIDR`);
  });
}

const ipAddress = checkedString(checkIpAddress);

function ipOf(family: 4 | 6): Decoder<string> {
  return checkedString((text) => {
    checkIpAddress(text);
    if (text.includes(':') !== (family === 6)) throw new Error(`"${text}" is not an IPv${family} address`);
  });
}

/** An object with only the given fields, each decoded by its own decoder. */
function struct(fields: Readonly<Record<string, Decoder<JsonValue>>>): Decoder<JsonValue> {
  return (value, key) => {
    const present = structFields(value, key, Object.keys(fields));
    const result: Record<string, JsonValue> = {};
    for (const [name, entry] of Object.entries(present)) {
      const decode = fields[name];
      if (decode && entry !== null) result[name] = decode(entry, `${key}.${name}`);
    }
    return result;
  };
}

const genericResource = checkedString((text) => {
  if (!text.includes('='))
    throw new Error(`invalid node-generic-resource format \`${text}\` expected \`name=value\``);
});

// builder's content (GC policy, entitlements) is BuildKit's to validate.
const jsonObject: Decoder<JsonValue> = (value, key) => asJson(asObject(value, key), key);

export const EXTRA_DIRECTIVES: Readonly<Record<string, Decoder<JsonValue>>> = {
  // Default bridge network.
  'fixed-cidr': cidrOf(4),
  'fixed-cidr-v6': cidrOf(6),
  bip6: cidrOf(6),
  ip: ipAddress,
  'default-gateway': ipOf(4),
  'default-gateway-v6': ipOf(6),
  icc: asBoolean,
  'ip-masq': asBoolean,
  'ip-forward-no-drop': asBoolean,
  'allow-direct-routing': asBoolean,
  'userland-proxy': asBoolean,
  'userland-proxy-path': asString,
  'bridge-accept-fwmark': asString,
  'firewall-backend': oneOf(['iptables', 'nftables']),
  'host-gateway-ip': ipAddress,
  'host-gateway-ips': listOf(ipAddress),
  'network-control-plane-mtu': integerIn(0, 65535),
  'network-diagnostic-port': integerIn(0, 65535),
  'default-network-opts': mapOf(asStringMap),
  // Containers.
  'cgroup-parent': asString,
  'default-cgroupns-mode': oneOf(['host', 'private']),
  'default-ipc-mode': oneOf(['private', 'shareable']),
  'default-stop-timeout': integerIn(0),
  'default-init': asString,
  'selinux-enabled': asBoolean,
  'cpu-rt-period': integerIn(0),
  'cpu-rt-runtime': integerIn(0),
  'resolv-conf': asString,
  'cdi-spec-dirs': asStringList,
  'nri-opts': struct({
    enable: asBoolean,
    'plugin-path': asString,
    'plugin-config-path': asString,
    'socket-path': asString,
  }),
  // Daemon.
  'log-format': oneOf(['text', 'json']),
  'raw-logs': asBoolean,
  'metrics-addr': asString,
  'authorization-plugins': asStringList,
  'min-api-version': asString,
  rootless: asBoolean,
  proxies: struct({ 'http-proxy': asString, 'https-proxy': asString, 'no-proxy': asString }),
  builder: jsonObject,
  // containerd and swarm.
  containerd: asString,
  'containerd-namespace': asString,
  'containerd-plugin-namespace': asString,
  'cri-containerd': asBoolean,
  'node-generic-resources': listOf(genericResource),
  'swarm-default-advertise-addr': asString,
  'swarm-raft-heartbeat-tick': integerIn(0),
  'swarm-raft-election-tick': integerIn(0),
  // Deprecated in dockerd and ignored there; accepted so old files still load.
  'oom-score-adjust': integerIn(-1000, 1000),
  'allow-nondistributable-artifacts': asStringList,
  'deprecated-key-path': asString,
};

/** Throws when `cgroup-parent` cannot be used with the systemd cgroup driver. */
export function checkSystemdCgroupParent(extra: Readonly<Record<string, JsonValue>>): void {
  const parent = extra['cgroup-parent'];
  if (typeof parent === 'string' && parent !== '' && !(parent.length > 6 && parent.endsWith('.slice'))) {
    throw new ConfigValueError(
      'cgroup-parent',
      `"${parent}": with the systemd cgroup driver it must be a slice named like "xxx.slice"`,
    );
  }
}
