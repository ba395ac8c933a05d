import { BerthError, ErrorKind } from '../core/errors.js';
import { runProcess } from './process.js';

/** The two tables Berth writes to. */
export type IptablesTable = 'filter' | 'nat';

/**
 * Thin wrappers around the iptables programs. Batches go through
 * `iptables-restore --noflush`, which applies a whole table atomically in
 * one process: cheaper than one `iptables` call per rule, and a failure
 * leaves nothing half-applied.
 */
export const iptables = {
  /** Whether a rule exists (`iptables -C`). */
  async exists(table: IptablesTable, chain: string, rule: readonly string[]): Promise<boolean> {
    const outcome = await runProcess('iptables', ['--wait', '-t', table, '-C', chain, ...rule]);
    return outcome.code === 0;
  },

  /** Runs one iptables command; throws with its stderr when it fails. */
  async run(table: IptablesTable, args: readonly string[]): Promise<void> {
    const outcome = await runProcess('iptables', ['--wait', '-t', table, ...args]);
    if (outcome.code !== 0) throw failure(`iptables -t ${table} ${args.join(' ')}`, outcome.stderr);
  },

  /** Applies a restore document ("*filter … COMMIT") without flushing other chains. */
  async restore(document: string): Promise<void> {
    const outcome = await runProcess('iptables-restore', ['--wait', '--noflush'], { input: document });
    if (outcome.code !== 0) throw failure(`iptables-restore of\n${document}`, outcome.stderr);
  },

  /** The rules of one table in iptables-save syntax. */
  async save(table: IptablesTable): Promise<string> {
    const outcome = await runProcess('iptables-save', ['-t', table]);
    if (outcome.code !== 0) throw failure(`iptables-save -t ${table}`, outcome.stderr);
    return outcome.stdout;
  },
};

/** Chains of a table and the rules appended to each, from iptables-save output. */
export function parseSave(text: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.set(line.slice(1).split(' ')[0] ?? '', []);
    if (!line.startsWith('-A ')) continue;
    const chain = line.split(' ')[1] ?? '';
    chains.set(chain, [...(chains.get(chain) ?? []), line]);
  }
  return chains;
}

function failure(what: string, stderr: string): BerthError {
  return new BerthError(ErrorKind.Internal, `${what} failed: ${stderr.trim()}`);
}
