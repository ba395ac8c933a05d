import { iptables, parseSave } from '../iptables.js';

/** The portmap plugin's shared chains in the nat table (plugins/meta/portmap). */
const PORTMAP_CHAINS = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ'];

/**
 * Removes the portmap plugin's shared chains and the jumps to them once no
 * container publishes a port any more. The plugin creates them on its first
 * ADD and never removes them (DEL only removes a container's own CNI-DN-*
 * chain), so without this a host would keep them forever after its first
 * `-p`. They are only removed while empty, so another CNI user of the host
 * that still publishes ports keeps them; its next ADD would re-create them
 * anyway. Returns whether anything was removed.
 */
export async function pruneIdlePortmapChains(): Promise<boolean> {
  const chains = parseSave(await iptables.save('nat'));
  if (!chains.has('CNI-HOSTPORT-DNAT')) return false;
  const inUse =
    (chains.get('CNI-HOSTPORT-DNAT') ?? []).length > 0 || [...chains.keys()].some(isContainerChain);
  if (inUse) return false;
  const lines = ['*nat'];
  for (const [chain, rules] of chains) {
    if (PORTMAP_CHAINS.includes(chain)) continue;
    for (const rule of rules) {
      if (PORTMAP_CHAINS.some((target) => rule.endsWith(`-j ${target}`))) lines.push(`-D${rule.slice(2)}`);
    }
  }
  for (const chain of PORTMAP_CHAINS.filter((name) => chains.has(name)))
    lines.push(`-F ${chain}`, `-X ${chain}`);
  await iptables.restore(`${[...lines, 'COMMIT'].join('\n')}\n`);
  return true;
}

/** A per-container chain of the portmap plugin (CNI-DN-<hash>). */
function isContainerChain(chain: string): boolean {
  return chain.startsWith('CNI-DN-');
}
