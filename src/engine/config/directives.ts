/**
 * Every daemon.json directive berthd models, by dockerd's JSON key: which
 * DaemonConfig field it sets and how its value is type-checked and validated.
 */
import { isLogLevel, type LogLevel } from '../../core/logger.js';
import { parseRamSize } from '../../core/units.js';
import { ConfigValueError } from './config-error.js';
import {
  asBoolean,
  asString,
  asStringList,
  asStringMap,
  because,
  checkedString,
  type Decoder,
  integerIn,
  listOf,
  mapOf,
} from './decode.js';
import { parseDaemonHost } from './hosts.js';
import { asAddressPools, checkBridgeIp, checkDnsSearch, checkIpAddress } from './network.js';
import { validateInsecureRegistry, validateMirror } from './registry.js';
import { asExecOpts, asRuntimes, asUlimits } from './runtime-opts.js';
import type { DaemonConfig } from './types.js';

export interface Directive {
  /** The DaemonConfig field holding the directive's value. */
  field: keyof DaemonConfig;
  /** Checks `value` and stores it into `config`. */
  apply(config: DaemonConfig, value: unknown, key: string): void;
}

function directive<K extends keyof DaemonConfig>(field: K, decode: Decoder<DaemonConfig[K]>): Directive {
  return {
    field,
    apply: (config, value, key) => {
      config[field] = decode(value, key);
    },
  };
}

const absolutePath = checkedString((text) => {
  if (!text.startsWith('/')) throw new Error(`"${text}" must be an absolute path`);
});

const logLevel: Decoder<LogLevel> = (value, key) => {
  const level = asString(value, key).toLowerCase();
  if (!isLogLevel(level)) {
    throw new ConfigValueError(key, `invalid logging level: ${level}; use debug, info, warn, error or fatal`);
  }
  return level;
};

// Labels are key=value; docker's own namespaces are reserved; a key may not get two values.
const labels: Decoder<string[]> = (value, key) => {
  const list = listOf(checkedString(checkLabel))(value, key);
  const seen = new Map<string, string>();
  for (const label of list) {
    const [name = '', ...rest] = label.split('=');
    const previous = seen.get(name);
    if (previous !== undefined && previous !== rest.join('=')) {
      throw new ConfigValueError(key, `conflict labels for ${label} and ${name}=${previous}`);
    }
    seen.set(name, rest.join('='));
  }
  return list;
};

function checkLabel(label: string): void {
  if (!label.includes('=')) throw new Error(`bad attribute format: ${label}`);
  if (/^(com\.docker\.|io\.docker\.|org\.dockerproject\.)/i.test(label)) {
    throw new Error(
      `label ${label} is not allowed: the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved for internal use`,
    );
  }
}

// Only the string form ("64m"), like dockerd's MemBytes.
const shmSize: Decoder<number> = (value, key) => {
  const text = asString(value, key);
  const size = because(key, () => parseRamSize(text));
  if (size <= 0) throw new ConfigValueError(key, `"${text}" must be greater than 0`);
  return size;
};

// Normalised, de-duplicated lists, in the form the registry client needs.
const uniqueList =
  (normalize: (entry: string) => string): Decoder<string[]> =>
  (value, key) => {
    const normalized = listOf((entry, itemKey) =>
      because(itemKey, () => normalize(asString(entry, itemKey))),
    );
    return [...new Set(normalized(value, key))];
  };

export const DIRECTIVES: Readonly<Record<string, Directive>> = {
  'data-root': directive('dataRoot', absolutePath),
  'exec-root': directive('execRoot', absolutePath),
  pidfile: directive('pidfile', absolutePath),
  hosts: directive(
    'hosts',
    listOf(
      checkedString((host) => {
        parseDaemonHost(host);
      }),
    ),
  ),
  debug: directive('debug', asBoolean),
  'log-level': directive('logLevel', logLevel),
  tls: directive('tls', asBoolean),
  tlsverify: directive('tlsVerify', asBoolean),
  tlscacert: directive('tlsCaCert', asString),
  tlscert: directive('tlsCert', asString),
  tlskey: directive('tlsKey', asString),
  'exec-opts': directive('execOpts', asExecOpts),
  'log-driver': directive('logDriver', checkedString(nonEmpty)),
  'log-opts': directive('logOpts', asStringMap),
  'insecure-registries': directive('insecureRegistries', uniqueList(validateInsecureRegistry)),
  'registry-mirrors': directive('registryMirrors', uniqueList(validateMirror)),
  'default-runtime': directive('defaultRuntime', checkedString(nonEmpty)),
  runtimes: directive('runtimes', asRuntimes),
  bip: directive('bip', checkedString(checkBridgeIp)),
  'default-address-pools': directive('defaultAddressPools', asAddressPools),
  dns: directive('dns', listOf(checkedString(checkIpAddress))),
  'dns-search': directive('dnsSearch', listOf(checkedString(checkDnsSearch))),
  'dns-opts': directive('dnsOpts', asStringList),
  'live-restore': directive('liveRestore', asBoolean),
  'storage-driver': directive('storageDriver', checkedString(nonEmpty)),
  'storage-opts': directive('storageOpts', asStringList),
  'userns-remap': directive('usernsRemap', asString),
  'ip-forward': directive('ipForward', asBoolean),
  iptables: directive('iptables', asBoolean),
  ip6tables: directive('ip6tables', asBoolean),
  ipv6: directive('ipv6', asBoolean),
  mtu: directive('mtu', integerIn(0, 65535)),
  bridge: directive('bridge', asString),
  labels: directive('labels', labels),
  experimental: directive('experimental', asBoolean),
  'max-concurrent-downloads': directive('maxConcurrentDownloads', integerIn(1)),
  'max-concurrent-uploads': directive('maxConcurrentUploads', integerIn(1)),
  'max-download-attempts': directive('maxDownloadAttempts', integerIn(1)),
  // -1 waits for containers without a limit, as in dockerd.
  'shutdown-timeout': directive('shutdownTimeout', integerIn(-1)),
  'default-ulimits': directive('defaultUlimits', asUlimits),
  'default-shm-size': directive('defaultShmSize', shmSize),
  // Berth's own: the largest build context POST /build accepts ("2g"; 0 for no limit).
  'build-max-context-size': directive('buildMaxContextSize', shmSize),
  init: directive('init', asBoolean),
  'init-path': directive('initPath', asString),
  'no-new-privileges': directive('noNewPrivileges', asBoolean),
  'seccomp-profile': directive('seccompProfile', asString),
  group: directive('group', asString),
  features: directive('features', mapOf(asBoolean)),
};

function nonEmpty(text: string): void {
  if (text.trim() === '') throw new Error('must not be empty');
}
