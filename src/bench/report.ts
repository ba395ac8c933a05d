import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineFacts } from './machine.js';
import { type Summary, summarize } from './stats.js';
import type { Outcome, Table, Workload } from './workload.js';

export interface WorkloadReport {
  id: string;
  title: string;
  target: string;
  notYet?: string;
  error?: string;
  rows: (Summary & { tool: string; unit: string; values: number[] })[];
  ratios: { label: string; ratio: number; target?: number; met?: boolean }[];
  limits: { tool: string; max: number; unit: string; median: number; met: boolean }[];
  notes: string[];
  tables?: Table[];
  checks?: { what: string; met: boolean }[];
  /** When it ran (ISO 8601); a report can keep workloads from earlier runs. */
  measuredAt?: string;
  /** The machine's 1-minute load average when the workload began and ended. */
  loadAverage?: number[];
}

/**
 * The reports to write: this run's, and for workloads it did not run, those
 * of the previous report in `dir` (so a run of a few workloads updates them
 * without dropping the others), in the harness's workload order.
 */
export async function mergeWithPrevious(
  dir: string,
  fresh: WorkloadReport[],
  order: readonly string[],
): Promise<WorkloadReport[]> {
  const text = await readFile(join(dir, 'benchmarks.json'), 'utf8').catch(() => undefined);
  const previous = text ? ((JSON.parse(text) as { when?: string; reports?: WorkloadReport[] }) ?? {}) : {};
  const byId = new Map<string, WorkloadReport>();
  for (const r of previous.reports ?? []) byId.set(r.id, { ...r, measuredAt: r.measuredAt ?? previous.when });
  for (const r of fresh) byId.set(r.id, r);
  return order.flatMap((id) => byId.get(id) ?? []);
}

export function toReport(
  w: Workload,
  outcome: Outcome | { notYet: string } | { error: string },
): WorkloadReport {
  const base = { id: w.id, title: w.title, target: w.target, rows: [], ratios: [], limits: [], notes: [] };
  if ('notYet' in outcome) return { ...base, notYet: outcome.notYet };
  if ('error' in outcome) return { ...base, error: outcome.error };
  const rows = outcome.measurements.map((m) => ({
    tool: m.tool,
    unit: m.unit,
    values: m.values,
    ...summarize(m.values),
  }));
  const median = (tool: string) => rows.find((r) => r.tool === tool)?.median ?? Number.NaN;
  const ratios = outcome.comparisons.map((c) => {
    const ratio = median(c.numerator) / median(c.denominator);
    return {
      label: `${c.numerator} / ${c.denominator}`,
      ratio,
      ...(c.target !== undefined ? { target: c.target, met: ratio <= c.target } : {}),
    };
  });
  const limits = (outcome.limits ?? []).map((l) => ({
    ...l,
    median: median(l.tool),
    met: median(l.tool) <= l.max,
  }));
  return {
    ...base,
    rows,
    ratios,
    limits,
    notes: outcome.notes ?? [],
    ...(outcome.tables ? { tables: outcome.tables } : {}),
    ...(outcome.checks ? { checks: outcome.checks } : {}),
  };
}

const fmt = (n: number) =>
  Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

function workloadMarkdown(r: WorkloadReport): string {
  const lines = [`### ${r.title} (\`${r.id}\`)`, '', `Target: ${r.target}`, ''];
  if (r.measuredAt) {
    const load = r.loadAverage ? ` (1-minute load average ${r.loadAverage.join(' → ')})` : '';
    lines.push(`Measured ${r.measuredAt.slice(0, 16).replace('T', ' ')} UTC${load}.`, '');
  }
  if (r.notYet) return [...lines, `**not yet** — ${r.notYet}`, ''].join('\n');
  if (r.error) return [...lines, `**failed** — ${r.error}`, ''].join('\n');
  if (r.rows.length) lines.push('| tool | median | min – max | runs |', '| --- | --- | --- | --- |');
  for (const row of r.rows) {
    lines.push(
      `| ${row.tool} | ${fmt(row.median)} ${row.unit} | ${fmt(row.min)} – ${fmt(row.max)} | ${row.runs} |`,
    );
  }
  if (r.rows.length) lines.push('');
  for (const q of r.ratios) {
    const verdict =
      q.target === undefined
        ? ''
        : q.met
          ? ` (target ≤ ${q.target}×: met)`
          : ` (target ≤ ${q.target}×: **not met**)`;
    lines.push(`- ratio ${q.label}: **${fmt(q.ratio)}×**${verdict}`);
  }
  for (const l of r.limits) {
    lines.push(
      `- ${l.tool} median ${fmt(l.median)} ${l.unit} against a limit of ${l.max} ${l.unit}: ${l.met ? 'met' : '**not met**'}`,
    );
  }
  for (const c of r.checks ?? []) lines.push(`- ${c.what}: ${c.met ? 'met' : '**not met**'}`);
  for (const n of r.notes) lines.push(`- ${n}`);
  lines.push('');
  for (const t of r.tables ?? []) {
    lines.push(
      `${t.title}`,
      '',
      `| ${t.header.join(' | ')} |`,
      `| ${t.header.map(() => '---').join(' | ')} |`,
    );
    for (const row of t.rows) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** A horizontal bar chart of every ratio, with 1.0× and each target marked. */
export function ratioChart(reports: readonly WorkloadReport[]): string {
  const bars = reports.flatMap((r) => r.ratios.map((q) => ({ ...q, label: `${r.id}: ${q.label}` })));
  const width = 900;
  const rowH = 28;
  const left = 360;
  const height = 50 + bars.length * rowH;
  const maxRatio = Math.max(
    2,
    ...bars.map((b) => (Number.isFinite(b.ratio) ? b.ratio : 0)),
    ...bars.map((b) => b.target ?? 0),
  );
  const x = (v: number) => left + ((width - left - 40) * v) / maxRatio;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Berth / peer (median time or memory; lower is better)</text>`,
    `<line x1="${x(1)}" y1="30" x2="${x(1)}" y2="${height - 10}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${x(1) + 3}" y="42" fill="#666">1.0×</text>`,
  ];
  bars.forEach((b, i) => {
    const y = 50 + i * rowH;
    const color = b.target === undefined ? '#4a7ab5' : b.met ? '#3c9a5f' : '#c0392b';
    parts.push(`<text x="10" y="${y + 15}">${esc(b.label)}</text>`);
    parts.push(
      `<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(b.ratio) - left)}" height="16" fill="${color}"/>`,
    );
    parts.push(`<text x="${x(b.ratio) + 4}" y="${y + 15}">${fmt(b.ratio)}×</text>`);
    if (b.target !== undefined) {
      parts.push(
        `<line x1="${x(b.target)}" y1="${y}" x2="${x(b.target)}" y2="${y + rowH - 4}" stroke="black" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeReport(
  dir: string,
  machine: MachineFacts,
  reports: WorkloadReport[],
  options: { runs: number; quick: boolean },
) {
  await mkdir(dir, { recursive: true });
  const when = new Date().toISOString();
  const md = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench${options.quick ? ' -- --quick' : ''}\` on ${when}: each workload runs the tools interleaved after a warm-up, ${options.runs} runs each (workloads this run left out keep their earlier results and date). Ratios are Berth / peer medians (below 1 means Berth is faster or lighter).`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, kernel ${machine.kernel}, Node ${machine.node}.`,
    '',
    ...Object.entries(machine.tools).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '![ratios](benchmarks.svg)',
    '',
    '## Targets at a glance',
    '',
    '| workload | target | status |',
    '| --- | --- | --- |',
    ...reports.map((r) => `| \`${r.id}\` | ${r.target} | ${status(r)} |`),
    '',
    '## Workloads',
    '',
    ...reports.map(workloadMarkdown),
  ].join('\n');
  await writeFile(join(dir, 'benchmarks.md'), md);
  await writeFile(join(dir, 'benchmarks.svg'), ratioChart(reports));
  await writeFile(
    join(dir, 'benchmarks.json'),
    `${JSON.stringify({ when, machine, options, reports }, null, 2)}\n`,
  );
}

function status(r: WorkloadReport): string {
  if (r.notYet) return 'not yet';
  if (r.error) return 'failed';
  const judged = [...r.ratios.filter((q) => q.met !== undefined), ...r.limits, ...(r.checks ?? [])];
  if (judged.length === 0) return r.ratios.map((q) => `${fmt(q.ratio)}×`).join(', ') || 'measured';
  if (r.ratios.length === 0 && r.limits.length === 0)
    return judged.every((j) => j.met)
      ? 'met'
      : `**not met**: ${judged
          .filter((j) => !j.met)
          .map((j) => ('what' in j ? j.what : ''))
          .join('; ')}`;
  const summary = r.ratios
    .map((q) => `${fmt(q.ratio)}×`)
    .concat(r.limits.map((l) => `${fmt(l.median)} ${l.unit}`));
  return `${summary.join(', ')} — ${judged.every((j) => j.met) ? 'met' : '**not met**'}`;
}
