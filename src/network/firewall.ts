import { type IptablesTable, iptables, parseSave } from './iptables.js';

/** What the firewall needs to know about one bridge network. */
export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  /** No traffic in or out of the bridge except between its own containers. */
  internal: boolean;
  /** Source NAT for traffic leaving the host (Docker's enable_ip_masquerade). */
  masquerade: boolean;
  /** Whether containers of the network may talk to each other (Docker's enable_icc). */
  icc: boolean;
}

/**
 * Berth's iptables rules, all in chains of its own, after libnetwork's
 * bridge driver (DOCKER-ISOLATION-STAGE-1/2, per-network MASQUERADE):
 *
 *     filter FORWARD     → <P>-FORWARD (first rule)
 *     <P>-FORWARD        internal bridges: drop what crosses them;
 *                        published ports (conntrack DNAT) accepted on every bridge;
 *                        → <P>-ISOLATION-STAGE-1; per bridge: accept outbound and replies
 *     <P>-ISOLATION-STAGE-1  "-i br ! -o br" → STAGE-2   (leaving a bridge…)
 *     <P>-ISOLATION-STAGE-2  "-o br" DROP                 (…into another one)
 *     nat POSTROUTING    → <P>-POSTROUTING: "-s subnet ! -o br" MASQUERADE
 *
 * The chains' whole content is rewritten from the list of networks in one
 * iptables-restore, so the rules can never drift from the records.
 * Port publishing is the CNI portmap plugin's (its CNI-HOSTPORT-* chains).
 */
export class Firewall {
  readonly forwardChain: string;
  readonly isolation1: string;
  readonly isolation2: string;
  readonly postroutingChain: string;

  /** @param prefix chain name prefix, "BERTH" in the daemon; tests use their own. */
  constructor(prefix: string) {
    this.forwardChain = `${prefix}-FORWARD`;
    this.isolation1 = `${prefix}-ISOLATION-STAGE-1`;
    this.isolation2 = `${prefix}-ISOLATION-STAGE-2`;
    this.postroutingChain = `${prefix}-POSTROUTING`;
  }

  /** Writes the chains for these networks and makes sure the built-in chains jump to them. */
  async sync(networks: readonly FirewallNetwork[]): Promise<void> {
    await iptables.restore(this.render(networks));
    for (const jump of this.jumps()) {
      if (!(await iptables.exists(jump.table, jump.from, ['-j', jump.to]))) {
        await iptables.run(jump.table, [...jump.insert, '-j', jump.to]);
      }
    }
  }

  /** Removes the jumps and the chains: no Berth rule is left. */
  async uninstall(): Promise<void> {
    for (const jump of this.jumps()) {
      while (await iptables.exists(jump.table, jump.from, ['-j', jump.to])) {
        await iptables.run(jump.table, ['-D', jump.from, '-j', jump.to]);
      }
    }
    const drop = (chains: string[]) => chains.flatMap((chain) => [`-F ${chain}`, `-X ${chain}`]);
    const filter = await existingChains('filter', [this.forwardChain, this.isolation1, this.isolation2]);
    const nat = await existingChains('nat', [this.postroutingChain]);
    const document = [
      ...(filter.length ? ['*filter', ...drop(filter), 'COMMIT'] : []),
      ...(nat.length ? ['*nat', ...drop(nat), 'COMMIT'] : []),
    ];
    if (document.length) await iptables.restore(`${document.join('\n')}\n`);
  }

  /** The iptables-restore document of all Berth chains for these networks. */
  render(networks: readonly FirewallNetwork[]): string {
    const F = this.forwardChain;
    const filter = [`:${F} - [0:0]`, `:${this.isolation1} - [0:0]`, `:${this.isolation2} - [0:0]`];
    const nat = [`:${this.postroutingChain} - [0:0]`];
    for (const net of networks.filter((n) => n.internal)) {
      filter.push(`-A ${F} -i ${net.bridge} ! -o ${net.bridge} -j DROP`);
      filter.push(`-A ${F} -o ${net.bridge} ! -i ${net.bridge} -j DROP`);
    }
    for (const net of networks.filter((n) => !n.internal)) {
      filter.push(`-A ${F} -o ${net.bridge} -m conntrack --ctstate DNAT -j ACCEPT`);
    }
    filter.push(`-A ${F} -j ${this.isolation1}`);
    for (const net of networks) filter.push(...this.forwardRules(net));
    for (const net of networks.filter((n) => !n.internal)) {
      filter.push(`-A ${this.isolation1} -i ${net.bridge} ! -o ${net.bridge} -j ${this.isolation2}`);
      filter.push(`-A ${this.isolation2} -o ${net.bridge} -j DROP`);
      if (net.masquerade) {
        nat.push(`-A ${this.postroutingChain} -s ${net.subnet} ! -o ${net.bridge} -j MASQUERADE`);
      }
    }
    return ['*filter', ...filter, 'COMMIT', '*nat', ...nat, 'COMMIT', ''].join('\n');
  }

  private forwardRules(net: FirewallNetwork): string[] {
    const F = this.forwardChain;
    const between = net.icc ? 'ACCEPT' : 'DROP';
    const rules = [`-A ${F} -i ${net.bridge} -o ${net.bridge} -j ${between}`];
    if (net.internal) return rules;
    return [
      ...rules,
      `-A ${F} -o ${net.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${F} -i ${net.bridge} ! -o ${net.bridge} -j ACCEPT`,
    ];
  }

  private jumps(): { table: IptablesTable; from: string; to: string; insert: string[] }[] {
    return [
      { table: 'filter', from: 'FORWARD', to: this.forwardChain, insert: ['-I', 'FORWARD', '1'] },
      { table: 'nat', from: 'POSTROUTING', to: this.postroutingChain, insert: ['-A', 'POSTROUTING'] },
    ];
  }
}

async function existingChains(table: IptablesTable, names: readonly string[]): Promise<string[]> {
  const chains = parseSave(await iptables.save(table));
  return names.filter((name) => chains.has(name));
}
