import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { NetworkManager } from '../network/index.js';
import type { DaemonConfig } from './config/types.js';

/** The data root of a berthd installed as the host's engine. */
const DEFAULT_DATA_ROOT = '/var/lib/berth';

/**
 * The prefix of this daemon's iptables chains. The host's engine owns
 * `BERTH-*`; any other daemon (tests, a second engine) gets chains named
 * after its data root, which no two live daemons share, so one daemon's
 * rewrite of its chains never flushes another's rules.
 */
export function chainPrefixOf(dataRoot: string): string {
  if (dataRoot === DEFAULT_DATA_ROOT) return 'BERTH';
  // "BERTHxxxx-ISOLATION-STAGE-1" stays within iptables' 28-character chain names.
  return `BERTH${createHash('sha256').update(dataRoot).digest('hex').slice(0, 4)}`;
}

/**
 * Opens the networks of the daemon: the predefined `bridge` (daemon.json
 * `bridge` names its Linux bridge, `none` disables it like dockerd's
 * `-b none`; `bip`, `fixed-cidr`, `mtu`, `default-address-pools`, `icc`,
 * `ip-masq`), `host` and `none`, and every user network with its bridge,
 * rules and DNS server. `iptables: false` keeps Berth off iptables entirely.
 */
export async function openNetworks(config: DaemonConfig, log: Logger): Promise<NetworkManager> {
  const fixedCidr = config.extraOptions['fixed-cidr'];
  const defaultBridge =
    config.bridge === 'none'
      ? (false as const)
      : {
          bridgeName: config.bridge || 'berth0',
          ...(config.bip ? { bip: config.bip } : {}),
          ...(typeof fixedCidr === 'string' ? { fixedCidr } : {}),
          ...(config.mtu > 0 ? { mtu: config.mtu } : {}),
          icc: config.extraOptions['icc'] !== false,
          // As dockerd: without iptables there is no masquerading either.
          ipMasquerade: config.iptables && config.extraOptions['ip-masq'] !== false,
        };
  if (!config.iptables) {
    log.warn(
      'iptables is false: berthd adds no iptables rules, so published ports (-p) are not forwarded ' +
        '(Berth has no userland proxy) and containers on bridges get no masquerading to the outside',
    );
  }
  return NetworkManager.open({
    stateDir: join(config.dataRoot, 'network'),
    chainPrefix: chainPrefixOf(config.dataRoot),
    iptables: config.iptables,
    defaultBridge,
    addressPools: config.defaultAddressPools,
    logger: log,
  });
}
