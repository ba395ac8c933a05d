// Temporary minimal loader; replaced by the full validating loader.
import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../../core/errors.js';
import { type DaemonConfig, type DaemonFlags, DEFAULT_CONFIG_FILE } from './types.js';

export async function loadDaemonConfig(opts: {
  flags: DaemonFlags;
  systemdIsPid1: boolean;
}): Promise<DaemonConfig> {
  const file = opts.flags.configFile ?? DEFAULT_CONFIG_FILE;
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw invalidArgument(`${file}: ${String(err)}`);
  }
  const f = opts.flags;
  return {
    configFile: file,
    dataRoot: f.dataRoot ?? (json['data-root'] as string) ?? '/var/lib/berth',
    execRoot: f.execRoot ?? '/run/berth',
    pidfile: f.pidfile ?? '/run/berth.pid',
    hosts: f.hosts?.length ? f.hosts : ['unix:///run/berth.sock'],
    debug: f.debug ?? false,
    logLevel: 'info',
    tls: false,
    tlsVerify: false,
    tlsCaCert: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    insecureTcp: false,
    cgroupDriver: 'cgroupfs',
    execOpts: [],
    logDriver: (json['log-driver'] as string) ?? 'json-file',
    logOpts: {},
    insecureRegistries: (json['insecure-registries'] as string[]) ?? [],
    registryMirrors: (json['registry-mirrors'] as string[]) ?? [],
    defaultRuntime: undefined,
    runtimes: {},
    bip: f.bip,
    defaultAddressPools: [],
    dns: [],
    dnsSearch: [],
    dnsOpts: [],
    liveRestore: false,
    storageDriver: 'overlay2',
    storageOpts: [],
    usernsRemap: undefined,
    ipForward: true,
    iptables: true,
    ip6tables: false,
    ipv6: false,
    mtu: 1500,
    bridge: undefined,
    labels: [],
    experimental: false,
    maxConcurrentDownloads: 3,
    maxConcurrentUploads: 5,
    shutdownTimeout: 15,
    defaultUlimits: {},
    defaultShmSize: 64 * 1024 * 1024,
    init: false,
    initPath: undefined,
    noNewPrivileges: false,
    seccompProfile: undefined,
    group: f.group ?? 'berth',
  };
}
