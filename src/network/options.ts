import type { Logger } from '../core/logger.js';
import type { DefaultBridgeSpec } from './bridge-plan.js';
import type { AddressPool } from './ipam.js';

/** Options of {@link NetworkManager.open}. */
export interface NetworkManagerOptions {
  /** Where network state lives: `<data-root>/network`. */
  stateDir: string;
  /** CNI plugin binaries; Debian installs them in /usr/lib/cni. */
  cniPluginDir?: string;
  /** Prefix of Berth's iptables chains; "BERTH". */
  chainPrefix?: string;
  /** Whether Berth writes iptables rules at all (daemon.json `iptables`); true when absent. */
  iptables?: boolean;
  /** The default `bridge` network, or false for none (dockerd's --bridge=none). */
  defaultBridge?: Partial<DefaultBridgeSpec> | false;
  /** default-address-pools; dockerd's defaults when absent. */
  addressPools?: AddressPool[];
  /** UDP port of the networks' DNS servers; 53. */
  dnsPort?: number;
  /** The host's resolv.conf and hosts files; /etc/resolv.conf and /etc/hosts. */
  hostResolvConf?: string;
  hostHosts?: string;
  logger?: Logger;
}
