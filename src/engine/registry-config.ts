import type { DistributionSettings } from '../distribution/service.js';
import type { DaemonConfig } from './config/types.js';

/** Where registry certificates live, as /etc/docker/certs.d for dockerd; BERTH_CERTS_DIR overrides (tests). */
export const DEFAULT_CERTS_DIR = '/etc/berth/certs.d';

/** The registry client's settings from the daemon's configuration. */
export function registrySettings(config: DaemonConfig): DistributionSettings {
  return {
    mirrors: config.registryMirrors,
    insecureRegistries: config.insecureRegistries,
    certsDir: process.env.BERTH_CERTS_DIR || DEFAULT_CERTS_DIR,
    maxConcurrentDownloads: config.maxConcurrentDownloads,
    maxConcurrentUploads: config.maxConcurrentUploads,
  };
}

/** The RegistryConfig object of GET /info, derived as dockerd derives it. */
export interface RegistryConfig {
  AllowNondistributableArtifactsCIDRs: string[];
  AllowNondistributableArtifactsHostnames: string[];
  InsecureRegistryCIDRs: string[];
  IndexConfigs: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }>;
  Mirrors: string[];
}

const CIDR = /^[0-9a-fA-F:.]+\/\d{1,3}$/;

function stripScheme(entry: string): string {
  return entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export function buildRegistryConfig(config: DaemonConfig): RegistryConfig {
  const mirrors = config.registryMirrors.map((m) => (m.endsWith('/') ? m : `${m}/`));
  const cidrs = ['::1/128', '127.0.0.0/8'];
  const indexConfigs: RegistryConfig['IndexConfigs'] = {
    'docker.io': { Name: 'docker.io', Mirrors: mirrors, Secure: true, Official: true },
  };
  for (const raw of config.insecureRegistries) {
    const entry = stripScheme(raw);
    if (CIDR.test(entry)) {
      if (!cidrs.includes(entry)) cidrs.push(entry);
    } else {
      indexConfigs[entry] = { Name: entry, Mirrors: [], Secure: false, Official: false };
    }
  }
  return {
    AllowNondistributableArtifactsCIDRs: [],
    AllowNondistributableArtifactsHostnames: [],
    InsecureRegistryCIDRs: cidrs,
    IndexConfigs: indexConfigs,
    Mirrors: mirrors,
  };
}
