import { type IptablesTable, iptables, parseSave } from './iptables.js';
import type { PortProtocol } from './types.js';

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

/** One published port: host address and port to container address and port. */
export interface PortRule {
  protocol: PortProtocol;
  /** "0.0.0.0" for every host address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** Everything the rules are made from. */
export interface FirewallState {
  networks: readonly FirewallNetwork[];
  ports: readonly PortRule[];
}

interface Jump {
  table: IptablesTable;
  from: string;
  rule: string[];
  insert: boolean;
}

/**
 * Berth's iptables rules, all in chains of its own, after libnetwork's
 * bridge driver with the userland proxy off:
 *
 *     filter FORWARD → <P>-FORWARD (first rule)
 *       internal bridges: drop what crosses them;
 *       DNAT-ed connections (published ports) accepted into every bridge;
 *       → <P>-ISOLATION-STAGE-1  "-i br ! -o br" → STAGE-2 (leaving a bridge…)
 *       → <P>-ISOLATION-STAGE-2  "-o br" DROP             (…into another one)
 *       per bridge: traffic between its containers, outbound and replies accepted
 *     nat PREROUTING, OUTPUT (to a local address) → <P>-DNAT: one DNAT per published port
 *     nat POSTROUTING → <P>-POSTROUTING, per bridge:
 *       hairpin (a container reaching a published port through the host) and
 *       127.0.0.1 → published port are masqueraded to the gateway;
 *       "-s subnet ! -o br" MASQUERADE for outbound traffic.
 *
 * Each sync rewrites the chains' whole content from the state in one
 * iptables-restore, so the rules never drift from the records.
 */
export class Firewall {
  readonly forward: string;
  readonly isolation1: string;
  readonly isolation2: string;
  readonly dnat: string;
  readonly postrouting: string;
  private jumpsEnsured = false;

  /** @param prefix chain name prefix, "BERTH" in the daemon; tests use their own. */
  constructor(prefix: string) {
    this.forward = `${prefix}-FORWARD`;
    this.isolation1 = `${prefix}-ISOLATION-STAGE-1`;
    this.isolation2 = `${prefix}-ISOLATION-STAGE-2`;
    this.dnat = `${prefix}-DNAT`;
    this.postrouting = `${prefix}-POSTROUTING`;
  }

  /**
   * Rewrites the chains from the state; the first sync also makes the
   * built-in chains jump to them. `natOnly` skips the filter table, which
   * only depends on the networks (published ports only change nat rules,
   * and each table rewritten costs iptables-restore ~10 ms).
   */
  async sync(state: FirewallState, options: { natOnly?: boolean } = {}): Promise<void> {
    const tables = this.renderTables(state);
    await iptables.restore(
      options.natOnly && this.jumpsEnsured ? tables.nat : `${tables.filter}${tables.nat}`,
    );
    if (this.jumpsEnsured) return;
    for (const jump of this.jumps()) {
      if (await iptables.exists(jump.table, jump.from, jump.rule)) continue;
      await iptables.run(jump.table, [
        jump.insert ? '-I' : '-A',
        jump.from,
        ...(jump.insert ? ['1'] : []),
        ...jump.rule,
      ]);
    }
    this.jumpsEnsured = true;
  }

  /** Removes the jumps and the chains: no Berth rule is left. */
  async uninstall(): Promise<void> {
    for (const jump of this.jumps()) {
      while (await iptables.exists(jump.table, jump.from, jump.rule)) {
        await iptables.run(jump.table, ['-D', jump.from, ...jump.rule]);
      }
    }
    const drop = (chains: string[]) => chains.flatMap((chain) => [`-F ${chain}`, `-X ${chain}`]);
    const filter = await existingChains('filter', [this.forward, this.isolation1, this.isolation2]);
    const nat = await existingChains('nat', [this.dnat, this.postrouting]);
    const document = [
      ...(filter.length ? ['*filter', ...drop(filter), 'COMMIT'] : []),
      ...(nat.length ? ['*nat', ...drop(nat), 'COMMIT'] : []),
    ];
    if (document.length) await iptables.restore(`${document.join('\n')}\n`);
    this.jumpsEnsured = false;
  }

  /** The iptables-restore document of all Berth chains. */
  render(state: FirewallState): string {
    const tables = this.renderTables(state);
    return `${tables.filter}${tables.nat}`;
  }

  private renderTables(state: FirewallState): { filter: string; nat: string } {
    const open = this.networksOf(state, false);
    const filter = [this.forward, this.isolation1, this.isolation2].map((chain) => `:${chain} - [0:0]`);
    for (const net of this.networksOf(state, true)) {
      filter.push(`-A ${this.forward} -i ${net.bridge} ! -o ${net.bridge} -j DROP`);
      filter.push(`-A ${this.forward} -o ${net.bridge} ! -i ${net.bridge} -j DROP`);
    }
    for (const net of open)
      filter.push(`-A ${this.forward} -o ${net.bridge} -m conntrack --ctstate DNAT -j ACCEPT`);
    filter.push(`-A ${this.forward} -j ${this.isolation1}`);
    for (const net of open) {
      filter.push(`-A ${this.isolation1} -i ${net.bridge} ! -o ${net.bridge} -j ${this.isolation2}`);
      filter.push(`-A ${this.isolation2} -o ${net.bridge} -j DROP`);
    }
    for (const net of state.networks) filter.push(...this.acceptRules(net));
    const nat = [`:${this.dnat} - [0:0]`, `:${this.postrouting} - [0:0]`];
    for (const port of state.ports) nat.push(this.dnatRule(port));
    for (const net of open) nat.push(...this.masqueradeRules(net));
    return {
      filter: ['*filter', ...filter, 'COMMIT', ''].join('\n'),
      nat: ['*nat', ...nat, 'COMMIT', ''].join('\n'),
    };
  }

  private networksOf(state: FirewallState, internal: boolean): FirewallNetwork[] {
    return state.networks.filter((net) => net.internal === internal);
  }

  private acceptRules(net: FirewallNetwork): string[] {
    const rules = [`-A ${this.forward} -i ${net.bridge} -o ${net.bridge} -j ${net.icc ? 'ACCEPT' : 'DROP'}`];
    if (net.internal) return rules;
    return [
      ...rules,
      `-A ${this.forward} -o ${net.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${this.forward} -i ${net.bridge} ! -o ${net.bridge} -j ACCEPT`,
    ];
  }

  private dnatRule(port: PortRule): string {
    const destination = port.hostIp && port.hostIp !== '0.0.0.0' ? ` -d ${port.hostIp}/32` : '';
    const match = `-p ${port.protocol} -m ${port.protocol} --dport ${port.hostPort}`;
    return `-A ${this.dnat}${destination} ${match} -j DNAT --to-destination ${port.containerIp}:${port.containerPort}`;
  }

  private masqueradeRules(net: FirewallNetwork): string[] {
    const P = this.postrouting;
    const rules = [
      `-A ${P} -s ${net.subnet} -o ${net.bridge} -m conntrack --ctstate DNAT -j MASQUERADE`,
      `-A ${P} -s 127.0.0.0/8 -o ${net.bridge} -j MASQUERADE`,
    ];
    if (net.masquerade) rules.push(`-A ${P} -s ${net.subnet} ! -o ${net.bridge} -j MASQUERADE`);
    return rules;
  }

  private jumps(): Jump[] {
    const local = ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', this.dnat];
    return [
      { table: 'filter', from: 'FORWARD', rule: ['-j', this.forward], insert: true },
      { table: 'nat', from: 'PREROUTING', rule: local, insert: false },
      { table: 'nat', from: 'OUTPUT', rule: local, insert: false },
      { table: 'nat', from: 'POSTROUTING', rule: ['-j', this.postrouting], insert: false },
    ];
  }
}

async function existingChains(table: IptablesTable, names: readonly string[]): Promise<string[]> {
  const chains = parseSave(await iptables.save(table));
  return names.filter((name) => chains.has(name));
}
