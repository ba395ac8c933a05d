import { invalidArgument } from '../../core/errors.js';
import type { OciRlimit } from './oci.js';
import type { Ulimit } from './request.js';

/** A process's limit pair; `Infinity` is unlimited. */
export interface LimitPair {
  soft: number;
  hard: number;
}

/** /proc/<pid>/limits row titles → RLIMIT names. */
const PROC_LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** The `--ulimit` names Docker accepts. */
export const ULIMIT_NAMES: ReadonlySet<string> = new Set(
  Object.values(PROC_LIMIT_NAMES).map((name) => name.slice('RLIMIT_'.length).toLowerCase()),
);

const parseLimit = (value: string | undefined): number => (value === 'unlimited' ? Infinity : Number(value));

/** Parses /proc/<pid>/limits into limits by RLIMIT name. */
export function parseProcLimits(text: string): Record<string, LimitPair> {
  const limits: Record<string, LimitPair> = {};
  for (const line of text.split('\n').slice(1)) {
    const title = Object.keys(PROC_LIMIT_NAMES).find((t) => line.startsWith(t));
    if (!title) continue;
    const [soft, hard] = line.slice(title.length).trim().split(/\s+/);
    limits[PROC_LIMIT_NAMES[title]!] = { soft: parseLimit(soft), hard: parseLimit(hard) };
  }
  return limits;
}

/** Rlimits for the spec, and a warning for each one that had to be lowered. */
export interface RlimitChoice {
  rlimits: OciRlimit[];
  warnings: string[];
}

/**
 * The container's rlimits from `--ulimit`. Without CAP_SYS_RESOURCE a
 * process cannot raise a hard limit above its own, and runc applies rlimits
 * from inside the container's init, so a higher value fails the start: such
 * values are lowered to the daemon's hard limit, with a warning.
 */
export function chooseRlimits(
  ulimits: readonly Ulimit[],
  daemonLimits: Record<string, LimitPair>,
  canRaise: boolean,
): RlimitChoice {
  const warnings: string[] = [];
  const rlimits = ulimits.map((ulimit) => {
    if (!ULIMIT_NAMES.has(ulimit.name)) throw invalidArgument(`invalid ulimit type: ${ulimit.name}`);
    if (ulimit.soft > ulimit.hard) {
      throw invalidArgument(
        `ulimit soft limit must be less than or equal to hard limit: ${ulimit.soft} > ${ulimit.hard}`,
      );
    }
    const type = `RLIMIT_${ulimit.name.toUpperCase()}`;
    const ceiling = canRaise ? Infinity : (daemonLimits[type]?.hard ?? Infinity);
    const hard = Math.min(ulimit.hard, ceiling);
    const soft = Math.min(ulimit.soft, hard);
    if (hard < ulimit.hard) {
      warnings.push(
        `ulimit ${ulimit.name}=${ulimit.soft}:${ulimit.hard} lowered to ${soft}:${hard}, the daemon's own hard limit`,
      );
    }
    return { type, soft, hard };
  });
  return { rlimits, warnings };
}
