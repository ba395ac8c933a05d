/** `berth stats` (cli/command/container/stats.go and formatter/stats.go). */
import { formatBytesBinary, formatHumanSize } from '../../../core/units.js';
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { errorText, StatusError } from '../../errors.js';
import { formatItems, formatterRow } from '../../format/index.js';

interface StatsOptions {
  all?: boolean;
  /** commander's names for --no-stream and --no-trunc. */
  stream?: boolean;
  trunc?: boolean;
  format?: string;
}

/** The parts of the Engine API's stats document the table uses. */
export interface StatsJson {
  id: string;
  name: string;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats: { current?: number };
  blkio_stats: { io_service_bytes_recursive: { op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

const HEADERS = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};
const DEFAULT_TABLE =
  'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** docker's calculateCPUPercentUnix: the container's share of host CPU time since the previous sample. */
export function cpuPercent(s: StatsJson): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
}

/** docker's calculateMemUsageUnixNoCache: usage less the inactive page cache. */
export function memoryUsed(m: StatsJson['memory_stats']): number {
  const usage = m.usage ?? 0;
  const v1 = m.stats?.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = m.stats?.inactive_file;
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

const percent = (v: number) => `${v.toFixed(2)}%`;
const size = (v: number) => formatHumanSize(v, 3);

/** One table row, as docker's stats formatter fills it. */
export function statsRow(ref: string, s: StatsJson | undefined, noTrunc: boolean): Record<string, string> {
  const id = s?.id ?? ref;
  const name = (s?.name ?? '').replace(/^\//, '') || '--';
  if (!s?.memory_stats.limit) {
    return {
      Container: ref,
      ID: noTrunc ? id : id.slice(0, 12),
      Name: name,
      CPUPerc: '0.00%',
      MemUsage: '0B / 0B',
      MemPerc: '0.00%',
      NetIO: '0B / 0B',
      BlockIO: '0B / 0B',
      PIDs: '0',
    };
  }
  const used = memoryUsed(s.memory_stats);
  const limit = s.memory_stats.limit ?? 0;
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === 'read') read += e.value;
    if (e.op.toLowerCase() === 'write') write += e.value;
  }
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  return {
    Container: ref,
    ID: noTrunc ? id : id.slice(0, 12),
    Name: name,
    CPUPerc: percent(cpuPercent(s)),
    MemUsage: `${formatBytesBinary(used)} / ${formatBytesBinary(limit)}`,
    MemPerc: percent(limit > 0 ? (used / limit) * 100 : 0),
    NetIO: `${size(rx)} / ${size(tx)}`,
    BlockIO: `${size(read)} / ${size(write)}`,
    PIDs: String(s.pids_stats.current ?? 0),
  };
}

async function containersToShow(ctx: CliContext, names: string[], all: boolean): Promise<string[]> {
  if (names.length > 0) return names;
  const list = await ctx.client().json<{ Id: string }[]>('GET', '/containers/json', { query: { all } });
  return list.map((c) => c.Id);
}

/** One stats document per container: stream=false waits for two samples, so CPU % is real. */
async function snapshot(
  ctx: CliContext,
  refs: string[],
): Promise<{ ref: string; stats?: StatsJson; error?: string }[]> {
  return Promise.all(
    refs.map(async (ref) => {
      try {
        const stats = await ctx
          .client()
          .json<StatsJson>('GET', `/containers/${escapePath(ref)}/stats`, { query: { stream: false } });
        return { ref, stats };
      } catch (err) {
        return { ref, error: errorText(err) };
      }
    }),
  );
}

async function runStats(ctx: CliContext, names: string[], o: StatsOptions): Promise<number> {
  const render = (results: { ref: string; stats?: StatsJson }[]) =>
    formatItems(
      results.map((r) => formatterRow(statsRow(r.ref, r.stats, o.trunc === false))),
      o.format,
      { defaultTable: DEFAULT_TABLE, headers: HEADERS },
    );
  const explicit = names.length > 0;
  if (o.stream === false) {
    const results = await snapshot(ctx, await containersToShow(ctx, names, Boolean(o.all)));
    const failed = results.filter((r) => r.error);
    if (explicit && failed.length > 0) throw new StatusError(failed.map((r) => r.error).join('\n'), 1);
    ctx.out(render(results.filter((r) => !r.error)));
    return 0;
  }
  // Live: redraw in place every second, as docker does on a terminal: cursor home, each
  // line cleared to its end, the rest of the screen cleared below the table.
  let first = true;
  for (;;) {
    const results = await snapshot(ctx, await containersToShow(ctx, names, Boolean(o.all)));
    const failed = results.filter((r) => r.error);
    if (explicit && failed.length === results.length)
      throw new StatusError(failed.map((r) => r.error).join('\n'), 1);
    const table = render(results.filter((r) => !r.error));
    if (!ctx.stdout.isTerminal) ctx.out(table);
    else {
      const lines = table.replace(/\n$/, '').split('\n');
      ctx.out(`${first ? '\x1b[2J' : ''}\x1b[H${lines.map((l) => `${l}\x1b[K\n`).join('')}\x1b[J`);
      first = false;
    }
  }
}

export const statsSpec: CommandSpec<StatsOptions> = {
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  args: { min: 0 },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --all', 'Show all containers (default shows just running)');
    cmd.option('--format <string>', 'Format output using a custom template');
    flags.bool(cmd, '--no-stream', 'Disable streaming stats and only pull the first result');
    flags.bool(cmd, '--no-trunc', "Don't truncate output");
  },
  run: (ctx, names, o) => runStats(ctx, names, o),
};
