/**
 * `berth system check [--repair]`: the store checker (src/check) run against a data
 * root while berthd is stopped; a running daemon owns its stores, so repair refuses then.
 */
import { readFile } from 'node:fs/promises';
import type { Problem } from '../../../check/stores.js';
import type { CommandSpec } from '../../command-spec.js';
import { renderTable } from '../../format/table.js';

interface CheckOptions {
  dataRoot: string;
  pidfile: string;
  repair?: boolean;
}

const HEADERS = { Area: 'AREA', Subject: 'SUBJECT', Problem: 'PROBLEM', Action: 'ACTION' };

/** The pid in `pidfile`, when that process is alive. */
async function livePid(pidfile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidfile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export const checkSpec: CommandSpec<CheckOptions> = {
  name: 'check',
  usage: '[OPTIONS]',
  description: "Verify the daemon's stores (berthd stopped); --repair removes what is orphaned or corrupt",
  args: { none: true },
  options: (cmd, flags) => {
    cmd.option('--data-root <string>', 'Root directory of the daemon state', '/var/lib/berth');
    cmd.option(
      '--pidfile <string>',
      "The daemon's PID file, to refuse a repair under a running daemon",
      '/run/berth.pid',
    );
    flags.bool(cmd, '--repair', 'Remove orphaned and corrupt entries');
  },
  run: async (ctx, _args, opts) => {
    const pid = await livePid(opts.pidfile);
    if (pid !== undefined && opts.repair) {
      ctx.err(`berthd (pid ${pid}) is running: stop it before system check --repair\n`);
      return 1;
    }
    // Loaded here: the store checker pulls in SQLite's native binding, which every other command can skip.
    const { checkStores } = await import('../../../check/stores.js');
    const problems = await checkStores(opts.dataRoot, { repair: opts.repair === true });
    if (problems.length === 0) {
      ctx.out(`${opts.dataRoot}: no problems found\n`);
      return 0;
    }
    const rows = problems.map((p: Problem) => ({
      Area: p.area,
      Subject: p.subject,
      Problem: p.problem,
      Action:
        p.repaired ?? (opts.repair ? 'left (needs a new pull, load or rm)' : 'none (run with --repair)'),
    }));
    ctx.out(renderTable(rows, 'table {{.Area}}\t{{.Subject}}\t{{.Problem}}\t{{.Action}}', HEADERS));
    return problems.every((p) => p.repaired) ? 0 : 1;
  },
};
