/**
 * Networking of test daemons: each gets its own Linux bridge name and its
 * own address pool (its chains are named after its data root, see
 * engine/network-stores.ts), so daemons of concurrent tests never touch each
 * other's bridges, subnets or rules; and everything it made is removed when
 * the test stops it.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../core/exec.js';
import { netnsName } from '../engine/container-networking.js';
import { chainPrefixOf } from '../engine/network-stores.js';
import { NetworkManager } from '../network/index.js';
import { hostSubnets } from '../network/ipam.js';
import { formatSubnet, parseSubnet, subnetsOverlap } from '../network/ipv4.js';

/** A random /20 in 10.0.0.0/8 that overlaps none of the host's routes and addresses. */
export async function freeTestPool(): Promise<string> {
  const taken = await hostSubnets();
  for (;;) {
    const [a = 0, b = 0] = randomBytes(2);
    const candidate = parseSubnet(`10.${a}.${b & 0xf0}.0/20`);
    if (!taken.some((subnet) => subnetsOverlap(subnet, candidate))) return formatSubnet(candidate);
  }
}

/**
 * The daemon.json of a test daemon with networking of its own: a unique
 * `bridge` and a free `default-address-pools` /20 (sixteen /24 networks),
 * unless the test sets them itself (by file or flag).
 */
export async function withTestNetwork(
  config: Record<string, unknown>,
  args: readonly string[],
): Promise<Record<string, unknown>> {
  const mentions = (key: string) =>
    key in config || args.some((arg) => arg === `--${key}` || arg.startsWith(`--${key}=`));
  const out = { ...config };
  if (!mentions('bridge') && !mentions('bip') && !args.includes('-b'))
    out.bridge = `bt${randomBytes(4).toString('hex')}`;
  if (!mentions('default-address-pools'))
    out['default-address-pools'] = [{ base: await freeTestPool(), size: 24 }];
  return out;
}

/**
 * Removes what a stopped test daemon left on the host: container network
 * namespaces, endpoints and leases, bridges, its iptables chains, state.
 */
export async function removeDaemonNetworks(dataRoot: string): Promise<void> {
  const stateDir = join(dataRoot, 'network');
  if (
    !(await readdir(stateDir).then(
      () => true,
      () => false,
    ))
  )
    return;
  // A userns-remap daemon keeps its containers under <data-root>/<uid>.<gid>/containers.
  const roots = [
    dataRoot,
    ...(await readdir(dataRoot)).filter((n) => /^\d+\.\d+$/.test(n)).map((n) => join(dataRoot, n)),
  ];
  for (const root of roots) {
    for (const id of await readdir(join(root, 'containers')).catch(() => [] as string[])) {
      await runCommand('ip', ['netns', 'delete', netnsName(id)]).catch(() => {});
    }
  }
  const manager = await NetworkManager.open({
    stateDir,
    chainPrefix: chainPrefixOf(dataRoot),
    defaultBridge: false,
  });
  await manager.teardown();
}
