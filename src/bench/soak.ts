import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiRequest } from './api.js';
import { rssKiB } from './proc.js';

/**
 * The soak driver: many concurrent API clients (ps, inspect, logs, one-shot stats,
 * event streams) against one berthd while its containers are stopped and started
 * again without pause. It counts every failure (a 5xx, a refused or reset
 * connection, an unexpected status or body, a container in the wrong state after a
 * start or stop), records each request's latency by type, and samples the daemon's
 * open file descriptors and RSS, so a leak shows as a slope. Used by the `soak`
 * bench workload (the long run) and src/integration/soak.test.ts (the short one).
 */

export interface SoakOptions {
  /** The daemon's API socket. */
  socket: string;
  /** berthd's PID, for /proc/PID/fd and VmRSS. */
  pid: number;
  /** The daemon's own directory: its monitors and mounts name it. */
  dir: string;
  /** A docker-save archive of busybox, loaded before the run. */
  busyboxArchive: string;
  clients: number;
  containers: number;
  durationMs: number;
  /** Samples taken before this are warm-up and not judged. */
  warmupMs: number;
  /** Time between two resource samples. */
  sampleEveryMs: number;
  /** Containers are stopped and started by this many workers at once. */
  churners?: number;
  log?: (line: string) => void;
}

export const REQUEST_KINDS = ['ps', 'inspect', 'logs', 'stats', 'events', 'start', 'stop'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface ResourceSample {
  /** Milliseconds since the run started. */
  at: number;
  fds: number;
  rssMiB: number;
  running: number;
}

export interface FlatnessVerdict {
  what: 'fds' | 'rssMiB';
  firstQuarterMedian: number;
  lastQuarterMedian: number;
  bound: number;
  flat: boolean;
}

export interface SoakResult {
  latencies: Map<RequestKind, number[]>;
  failures: string[];
  /** How many failures there were in all (failures keeps the first 50). */
  failureCount: number;
  samples: ResourceSample[];
  flatness: FlatnessVerdict[];
  /** When every container had started once (ms into the run); samples before it are not judged. */
  steadyFromMs: number;
  /** Start/stop cycles completed. */
  cycles: number;
  /** Events received by the event-stream clients. */
  eventsSeen: number;
  /** After every container was removed: berthd's descriptors then and before the run. */
  fdsBefore: number;
  fdsAfter: number;
  /** Monitor processes and mounts naming the daemon's directory once all containers are gone. */
  leftoverProcesses: string[];
  leftoverMounts: string[];
}

const REQUEST_TIMEOUT_MS = 60_000;
/** Mean pause of a client between an answer and its next request. */
const THINK_MS = 1000;
const MAX_KEPT_FAILURES = 50;

interface Reply {
  status: number;
  body: string;
  ms: number;
}

async function call(
  socketPath: string,
  agent: Agent | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  const reply = await apiRequest(socketPath, method, path, body, {
    ...(agent ? { agent } : {}),
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  return { status: reply.status, body: reply.text, ms: reply.ms };
}

export async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** Processes (other than the daemon's own tree) whose command line names `dir`: conmon and friends. */
export async function processesNaming(dir: string, except: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === except || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(dir)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === except) continue;
    found.push(`${entry}: ${cmdline.replace(/\0/g, ' ').trim().slice(0, 200)}`);
  }
  return found;
}

export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  return table
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value below which `p` percent of the samples lie (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Flat means no leak: after warm-up, the median of the last quarter of the samples is
 * at most `factor` × the first quarter's median plus `slack`. Generous on purpose (a
 * garbage-collected heap breathes, the number of running containers moves with the
 * churn): a leak of one descriptor or a few KiB per request over thousands of requests
 * still crosses it.
 */
export function judgeFlat(
  what: FlatnessVerdict['what'],
  values: readonly number[],
  factor: number,
  slack: number,
): FlatnessVerdict {
  const quarter = Math.max(1, Math.floor(values.length / 4));
  const firstQuarterMedian = median(values.slice(0, quarter));
  const lastQuarterMedian = median(values.slice(-quarter));
  const bound = firstQuarterMedian * factor + slack;
  return { what, firstQuarterMedian, lastQuarterMedian, bound, flat: lastQuarterMedian <= bound };
}

const CONTAINER_CMD = ['sh', '-c', 'trap "exit 0" TERM; while true; do echo tick; sleep 1; done'];

async function loadImage(socketPath: string, archive: string): Promise<void> {
  const size = (await stat(archive)).size;
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path: '/v1.41/images/load?quiet=1',
        headers: { 'Content-Type': 'application/x-tar', 'Content-Length': String(size) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () =>
          res.statusCode === 200 && !/"error/.test(text)
            ? resolve()
            : reject(new Error(`load ${archive}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    createReadStream(archive).pipe(req);
  });
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const { socket } = options;
  const latencies = new Map<RequestKind, number[]>(REQUEST_KINDS.map((k) => [k, []]));
  const failures: string[] = [];
  let failureCount = 0;
  const fail = (what: string) => {
    failureCount++;
    if (failures.length < MAX_KEPT_FAILURES) failures.push(what);
  };

  const fdsBefore = await openFds(options.pid);
  await loadImage(socket, options.busyboxArchive);
  const ids: string[] = [];
  const tag = `soak-${process.pid}-${Date.now().toString(36)}`;
  for (let i = 0; i < options.containers; i++) {
    const created = await call(socket, undefined, 'POST', `/v1.41/containers/create?name=${tag}-${i}`, {
      Image: 'busybox',
      Cmd: CONTAINER_CMD,
      Labels: { 'berth.soak': tag },
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
    ids.push((JSON.parse(created.body) as { Id: string }).Id);
  }
  const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
  const running = new Set<string>();
  log(`soak: ${ids.length} containers created`);

  const started = Date.now();
  const deadline = started + options.durationMs;
  const live = () => Date.now() < deadline;

  // A request of the clients' mix; a thrown error or a wrong answer is a failure.
  const timed = async (
    kind: RequestKind,
    agent: Agent,
    path: string,
    check: (r: Reply) => string | undefined,
  ) => {
    try {
      const reply = await call(socket, agent, 'GET', path);
      const problem = reply.status !== 200 ? `${reply.status} ${reply.body.slice(0, 200)}` : check(reply);
      if (problem) fail(`${kind} GET ${path}: ${problem}`);
      else latencies.get(kind)!.push(reply.ms);
    } catch (err) {
      fail(`${kind} GET ${path}: ${(err as Error).message}`);
    }
  };
  const json = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };

  /** One event stream at a time, each bounded by `until` a few seconds ahead so the daemon ends it. */
  const eventsClient = async () => {
    while (live()) {
      const until = Math.min(deadline, Date.now() + 5_000) / 1000;
      const path = `/v1.41/events?until=${until.toFixed(3)}&filters=${encodeURIComponent(JSON.stringify({ type: ['container'] }))}`;
      await new Promise<void>((resolve) => {
        const start = process.hrtime.bigint();
        const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
          latencies.get('events')!.push(Number(process.hrtime.bigint() - start) / 1e6);
          if (res.statusCode !== 200) fail(`events: ${res.statusCode}`);
          let rest = '';
          res.on('data', (d: Buffer) => {
            rest += d.toString();
            const lines = rest.split('\n');
            rest = lines.pop() ?? '';
            for (const line of lines) {
              if (!line) continue;
              const event = json(line) as { Type?: string; Action?: string } | undefined;
              if (!event?.Action) fail(`events: not an event: ${line.slice(0, 200)}`);
              else eventsSeen++;
            }
          });
          res.on('error', (err) => {
            fail(`events: ${err.message}`);
            resolve();
          });
          res.on('end', resolve);
        });
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('event stream outlived its until')));
        req.on('error', (err) => {
          fail(`events: ${err.message}`);
          resolve();
        });
        req.end();
      });
    }
  };
  let eventsSeen = 0;

  const requestClient = async (kind: Exclude<RequestKind, 'events' | 'start' | 'stop'>) => {
    // Each client its own keep-alive connection, as separate SDK clients would have.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (live()) {
        const id = pick();
        if (kind === 'ps') {
          await timed(kind, agent, '/v1.41/containers/json?all=1', (r) => {
            const list = json(r.body) as { Labels?: Record<string, string> }[] | undefined;
            const ours = Array.isArray(list)
              ? list.filter((c) => c.Labels?.['berth.soak'] === tag).length
              : -1;
            return ours === ids.length ? undefined : `listed ${ours} of ${ids.length} containers`;
          });
        } else if (kind === 'inspect') {
          await timed(kind, agent, `/v1.41/containers/${id}/json`, (r) =>
            (json(r.body) as { Id?: string } | undefined)?.Id === id
              ? undefined
              : `body ${r.body.slice(0, 200)}`,
          );
        } else if (kind === 'logs') {
          await timed(kind, agent, `/v1.41/containers/${id}/logs?stdout=1&stderr=1&tail=5`, () => undefined);
        } else {
          await timed(kind, agent, `/v1.41/containers/${id}/stats?stream=false&one-shot=true`, (r) =>
            (json(r.body) as { read?: string } | undefined)?.read !== undefined
              ? undefined
              : `body ${r.body.slice(0, 200)}`,
          );
        }
        // About a request a second per client: a busy daemon, not one driven past what it can
        // serve (then every latency would only measure the queue).
        await sleep(THINK_MS * (0.5 + Math.random()));
      }
    } finally {
      agent.destroy();
    }
  };

  const stateOf = async (id: string) => {
    const r = await call(socket, undefined, 'GET', `/v1.41/containers/${id}/json`);
    return (json(r.body) as { State?: { Running?: boolean; Status?: string; ExitCode?: number } })?.State;
  };
  let cycles = 0;
  /** Churners that started all their containers once; the steady state begins when all have. */
  let rampedUp = 0;
  let steadyFrom = Number.POSITIVE_INFINITY;
  const lifecycle = async (kind: 'start' | 'stop', id: string): Promise<boolean> => {
    try {
      const r = await call(
        socket,
        undefined,
        'POST',
        `/v1.41/containers/${id}/${kind}${kind === 'stop' ? '?t=10' : ''}`,
      );
      if (r.status !== 204) {
        fail(`${kind} ${id.slice(0, 12)}: ${r.status} ${r.body.slice(0, 200)}`);
        return false;
      }
      latencies.get(kind)!.push(r.ms);
      const state = await stateOf(id);
      const wrong =
        kind === 'start'
          ? state?.Running !== true || state.Status !== 'running'
          : state?.Running !== false || state.Status !== 'exited' || state.ExitCode !== 0;
      if (wrong) {
        fail(`${kind} ${id.slice(0, 12)}: then in state ${JSON.stringify(state)}`);
        return false;
      }
      if (kind === 'start') running.add(id);
      else running.delete(id);
      return true;
    } catch (err) {
      fail(`${kind} ${id.slice(0, 12)}: ${(err as Error).message}`);
      return false;
    }
  };
  /** Starts its share of the containers, then stops and starts them again, one after another. */
  const churner = async (owned: string[]) => {
    for (const id of owned) if (live()) await lifecycle('start', id);
    rampedUp++;
    for (let i = 0; live(); i = (i + 1) % owned.length) {
      const id = owned[i]!;
      if (running.has(id)) {
        if (!(await lifecycle('stop', id))) continue;
        // A stop takes up to a second here (the shell finishes its `sleep 1`): others overlap.
      }
      if (await lifecycle('start', id)) cycles++;
    }
  };

  const samples: ResourceSample[] = [];
  const sampler = async () => {
    while (live()) {
      if (rampedUp === churners && steadyFrom === Number.POSITIVE_INFINITY) steadyFrom = Date.now() - started;
      samples.push({
        at: Date.now() - started,
        fds: await openFds(options.pid),
        rssMiB: (await rssKiB(options.pid)) / 1024,
        running: running.size,
      });
      const last = samples[samples.length - 1]!;
      if (samples.length % 6 === 0) {
        const done = latencies.get('ps')!.length + latencies.get('inspect')!.length;
        log(
          `soak: ${(last.at / 1000).toFixed(0)} s: fds ${last.fds}, rss ${last.rssMiB.toFixed(1)} MiB, running ${last.running}, cycles ${cycles}, ps+inspect ${done}, failures ${failureCount}`,
        );
      }
      await sleep(Math.min(options.sampleEveryMs, Math.max(0, deadline - Date.now())));
    }
  };

  const churners = Math.max(1, Math.min(options.churners ?? 10, ids.length));
  const workers: Promise<void>[] = [sampler()];
  for (let c = 0; c < churners; c++) workers.push(churner(ids.filter((_, i) => i % churners === c)));
  const kinds = ['ps', 'inspect', 'logs', 'stats', 'events'] as const;
  for (let i = 0; i < options.clients; i++) {
    const kind = kinds[i % kinds.length]!;
    workers.push(kind === 'events' ? eventsClient() : requestClient(kind));
  }
  await Promise.all(workers);
  log(`soak: run over after ${((Date.now() - started) / 1000).toFixed(0)} s; removing the containers`);

  // Descriptors grow with the containers running: judge only once all have started.
  const judged = samples.filter((s) => s.at >= Math.max(options.warmupMs, steadyFrom));
  if (judged.length < 8)
    fail(
      `only ${judged.length} resource samples after warm-up and ramp-up (at ${steadyFrom} ms): run longer`,
    );
  const flatness = [
    judgeFlat(
      'fds',
      judged.map((s) => s.fds),
      1.25,
      32,
    ),
    judgeFlat(
      'rssMiB',
      judged.map((s) => s.rssMiB),
      1.25,
      32,
    ),
  ];

  // Every container goes; what it held on the host must go with it.
  for (const id of ids) {
    const r = await call(socket, undefined, 'DELETE', `/v1.41/containers/${id}?force=1`).catch(
      (err: Error) => ({ status: 0, body: err.message }),
    );
    if (r.status !== 204) fail(`rm -f ${id.slice(0, 12)}: ${r.status} ${r.body.slice(0, 200)}`);
  }
  // Monitors exit and descriptors close a moment after the reply.
  let leftoverProcesses: string[] = [];
  let leftoverMounts: string[] = [];
  let fdsAfter = 0;
  for (let i = 0; i < 20; i++) {
    leftoverProcesses = await processesNaming(options.dir, options.pid);
    leftoverMounts = await mountsUnder(options.dir);
    fdsAfter = await openFds(options.pid);
    if (leftoverProcesses.length === 0 && leftoverMounts.length === 0 && fdsAfter <= fdsBefore + 8) break;
    await sleep(500);
  }
  return {
    latencies,
    failures,
    failureCount,
    samples,
    flatness,
    steadyFromMs: steadyFrom,
    cycles,
    eventsSeen,
    fdsBefore,
    fdsAfter,
    leftoverProcesses,
    leftoverMounts,
  };
}

/** Everything a soak run should not have shown, one line each; empty when it passed. */
export function soakProblems(result: SoakResult): string[] {
  const problems: string[] = [];
  if (result.failureCount > 0)
    problems.push(
      `${result.failureCount} failed requests, first: ${result.failures.slice(0, 5).join(' | ')}`,
    );
  for (const f of result.flatness) {
    if (!f.flat)
      problems.push(
        `${f.what} grew: last-quarter median ${f.lastQuarterMedian.toFixed(1)} > ${f.bound.toFixed(1)} (first-quarter median ${f.firstQuarterMedian.toFixed(1)})`,
      );
  }
  if (result.fdsAfter > result.fdsBefore + 8)
    problems.push(`berthd holds ${result.fdsAfter} descriptors after the run, ${result.fdsBefore} before`);
  if (result.leftoverProcesses.length)
    problems.push(`processes left: ${result.leftoverProcesses.join('; ')}`);
  if (result.leftoverMounts.length) problems.push(`mounts left: ${result.leftoverMounts.join('; ')}`);
  if (result.cycles === 0) problems.push('no container completed a stop/start cycle');
  if (result.eventsSeen === 0) problems.push('the event streams saw no event');
  return problems;
}
