/**
 * dockerd's defaults, with berth's names and paths.
 */
import { DEFAULT_UNIX_HOST } from './hosts.js';
import type { DaemonConfig } from './types.js';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** A fresh configuration with every default; callers may mutate it. */
export function defaultDaemonConfig(): DaemonConfig {
  return {
    configFile: undefined,
    dataRoot: '/var/lib/berth',
    execRoot: '/run/berth',
    pidfile: '/run/berth.pid',
    hosts: [DEFAULT_UNIX_HOST],
    debug: false,
    logLevel: 'info',
    tls: false,
    tlsVerify: false,
    tlsCaCert: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    insecureTcp: false,
    cgroupDriver: 'cgroupfs',
    execOpts: [],
    logDriver: 'json-file',
    logOpts: {},
    insecureRegistries: [],
    registryMirrors: [],
    defaultRuntime: 'runc',
    runtimes: {},
    bip: undefined,
    // Empty means the built-in pools (172.17.0.0/16 ... 192.168.0.0/16).
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
    ip6tables: true,
    ipv6: false,
    mtu: 1500,
    bridge: undefined,
    labels: [],
    experimental: false,
    maxConcurrentDownloads: 3,
    maxConcurrentUploads: 5,
    shutdownTimeout: 15,
    defaultUlimits: {},
    defaultShmSize: DEFAULT_SHM_SIZE,
    buildMaxContextSize: 16 * 1024 ** 3,
    init: false,
    initPath: undefined,
    noNewPrivileges: false,
    // Undefined means the built-in profile.
    seccompProfile: undefined,
    group: 'berth',
    features: {},
    maxDownloadAttempts: 5,
    extraOptions: {},
    sources: {},
  };
}
