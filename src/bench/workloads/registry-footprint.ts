import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { callRegistryApi, startGovernedRegistry } from '../../testing/governed-registry.js';
import { rssKiB } from '../proc.js';
import { seedRepositories } from '../registry-seed.js';
import type { Measurement, Outcome, RunOptions, Workload } from '../workload.js';

const PASSWORD = 'Footprint-bench-1';
const PROJECTS = 20;
const PER_PROJECT = 500;
/** Requests per page and round (after a warm-up of a tenth as many). */
const REQUESTS = 200;

const PAGES: { label: string; path: (i: number) => string }[] = [
  { label: 'projects list', path: () => '/ui/' },
  // Alternating pages: OFFSET deep into a project's 500 repositories costs too.
  { label: 'repository list', path: (i) => `/ui/projects/team-07?page=${(i % 10) + 1}` },
  { label: 'search', path: (i) => `/ui/search?q=service-00${i % 50}&page=${(i % 4) + 1}` },
];

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function login(address: string): Promise<string> {
  const response = await fetch(`http://${address}/ui/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: PASSWORD }).toString(),
    redirect: 'manual',
  });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (response.status !== 303 || !cookie) throw new Error(`UI login answered ${response.status}`);
  return cookie;
}

/** Milliseconds from sending a GET to the end of its body. */
async function timeGet(address: string, path: string, cookie: string): Promise<number> {
  const start = process.hrtime.bigint();
  const response = await fetch(`http://${address}${path}`, { headers: { cookie } });
  const body = await response.text();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (response.status !== 200)
    throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 200)}`);
  return ms;
}

/**
 * berth-registry as deployed with governance and the web UI: its resident
 * memory idle after start, then 10,000 repositories (20 projects of 500,
 * each with a tagged image) written into its database, and the latency of
 * the UI's list pages over them, logged in as the admin (who sees every
 * project, the largest lists).
 */
export const registryFootprint: Workload = {
  id: 'registry-footprint',
  title: 'registry footprint: idle RSS with the UI, UI pages over 10,000 repositories',
  target:
    'idle with UI ≤ 100 MB RSS; projects list, repository list and search pages < 100 ms with 10,000 repositories',
  quick: false,
  async run({ runs }: RunOptions): Promise<Outcome> {
    const rows = new Map<string, Measurement>();
    const add = (tool: string, unit: Measurement['unit'], value: number) => {
      const row = rows.get(tool) ?? { tool, unit, values: [] };
      row.values.push(value);
      rows.set(tool, row);
    };
    const rounds = Math.max(1, Math.min(runs, 10));
    const loadBefore = loadavg()[0] ?? 0;
    for (let round = 0; round < rounds; round++) {
      const work = await mkdtemp(join(tmpdir(), 'berth-bench-footprint-'));
      const server = await startGovernedRegistry(join(work, 'root'), PASSWORD);
      try {
        const pid = server.child.pid!;
        // The UI's code is loaded by its first page; idle means after that, with nothing going on.
        await fetch(`http://${server.address}/ui/login`).then((r) => r.text());
        await sleep(2000);
        add('idle RSS, UI loaded', 'MiB', (await rssKiB(pid)) / 1024);

        const projects = Array.from({ length: PROJECTS }, (_, i) => `team-${String(i).padStart(2, '0')}`);
        for (const name of projects) {
          const created = await callRegistryApi(
            server.address,
            'admin',
            PASSWORD,
            'POST',
            '/api/v2.0/projects',
            {
              project_name: name,
            },
          );
          if (created.status !== 201)
            throw new Error(`creating project ${name}: ${JSON.stringify(created.body)}`);
        }
        seedRepositories(join(work, 'root', 'registry.db'), projects, PER_PROJECT);
        const cookie = await login(server.address);
        // The first view computes every project's storage; later ones reuse it (30 s, or until a change).
        add('projects list, first view', 'ms', await timeGet(server.address, '/ui/', cookie));
        for (const page of PAGES) {
          for (let i = 0; i < REQUESTS / 10; i++) await timeGet(server.address, page.path(i), cookie);
          const samples: number[] = [];
          for (let i = 0; i < REQUESTS; i++)
            samples.push(await timeGet(server.address, page.path(i), cookie));
          samples.sort((a, b) => a - b);
          add(`${page.label} p50`, 'ms', percentile(samples, 50));
          add(`${page.label} p99`, 'ms', percentile(samples, 99));
        }
        add('RSS after the pages', 'MiB', (await rssKiB(pid)) / 1024);
      } finally {
        await server.stop();
        await rm(work, { recursive: true, force: true });
      }
    }
    const measurements = [...rows.values()];
    return {
      measurements,
      comparisons: [],
      limits: [
        { tool: 'idle RSS, UI loaded', max: 95, unit: 'MiB' },
        ...PAGES.flatMap((p) => [
          { tool: `${p.label} p50`, max: 100, unit: 'ms' },
          { tool: `${p.label} p99`, max: 100, unit: 'ms' },
        ]),
      ],
      notes: [
        `each round starts a fresh berth-registry (token auth, governance, web UI), measures its RSS 2 s after the first page, creates ${PROJECTS} projects through the API and writes ${PROJECTS * PER_PROJECT} repositories with a tagged image each into its database`,
        `then ${REQUESTS} sequential GETs per page as the admin (every project visible): the projects list, pages 1–10 of a 500-repository project, searches matching 200 or 2,000 repositories (pages 1–4 of the results); p50 and p99 are per round, the table shows their median over rounds`,
        'the projects list shows each project’s storage, a walk over its repositories’ blobs: the first view after a change computes it (the “first view” row), later views reuse it for up to 30 s',
        `95 MiB is the target’s 100 MB; client and server share the machine’s cores (1-minute load average ${loadBefore.toFixed(1)} before the run, ${(loadavg()[0] ?? 0).toFixed(1)} after: latencies grow with other work on the machine)`,
      ],
    };
  },
};
