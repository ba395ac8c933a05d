import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';
import type { ContainerRecord, HealthState } from './record.js';

/** Config.Healthcheck as the Engine API carries it: durations in nanoseconds. */
export interface HealthConfig {
  /** [] inherit, ["NONE"] off, ["CMD", args...], ["CMD-SHELL", command]. */
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

const MS = 1_000_000;
/** dockerd's defaults (daemon/health.go). */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
/** Output kept per probe, and probes kept in the log. */
export const MAX_OUTPUT = 4096;
const MAX_LOG_ENTRIES = 5;

/**
 * The container's health check: its own fields over the image's, as
 * dockerd merges them (an empty Test or a zero duration inherits).
 * Checks the fields with dockerd's messages.
 */
export function mergeHealthcheck(
  own: HealthConfig | null | undefined,
  image: HealthConfig | null | undefined,
): HealthConfig | undefined {
  if (!own && !image) return undefined;
  const merged: HealthConfig = { ...(image ?? {}) };
  if (own) {
    if (own.Test && own.Test.length > 0) merged.Test = own.Test;
    for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
      if (own[key]) merged[key] = own[key];
    }
  }
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const value = merged[key];
    if (value !== undefined && value !== 0 && value < MS)
      throw invalidArgument(`${key} in Healthcheck cannot be less than 1ms`);
  }
  if ((merged.Retries ?? 0) < 0) throw invalidArgument('Retries in Healthcheck cannot be negative');
  return merged;
}

/** The probe command, or undefined when the check is off or absent. */
export function probeCommand(config: HealthConfig | undefined): string[] | undefined {
  const test = config?.Test ?? [];
  switch (test[0]) {
    case 'CMD':
      return test.length > 1 ? test.slice(1) : undefined;
    case 'CMD-SHELL':
      return ['/bin/sh', '-c', test.slice(1).join(' ')];
    default:
      return undefined;
  }
}

/** Go's time.Duration text for the few shapes timeouts take: "30s", "1.5s", "500ms", "1m0s". */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${seconds - minutes * 60}s`;
}

/** One probe's outcome. */
export interface ProbeResult {
  exitCode: number;
  output: string;
}

/** What the monitor needs from the engine. */
export interface HealthDeps {
  /** Runs `cmd` in the running container; the result's exit code is -1 when it could not run. */
  probe(record: ContainerRecord, cmd: string[], timeoutMs: number, execId: string): Promise<ProbeResult>;
  save(record: ContainerRecord): Promise<void>;
  event(record: ContainerRecord, action: string, extra?: Record<string, string>): void;
}

/**
 * Runs the health checks of running containers, one timer each: every
 * Interval a probe, with Timeout; FailingStreak counts failures (not during
 * StartPeriod while never healthy) and Retries of them make it unhealthy.
 * State.Health keeps the last five results; each status change is a
 * `health_status: <status>` event.
 */
export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: HealthDeps) {}

  /** Starts checking a container that just started (no-op without a health check). */
  start(record: ContainerRecord): void {
    this.stop(record.Id);
    const config = record.Config.Healthcheck as HealthConfig | undefined;
    const cmd = probeCommand(config);
    if (!cmd || !config) {
      delete record.State.Health;
      return;
    }
    const health: HealthState = record.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    health.Status = 'starting';
    health.FailingStreak = 0;
    record.State.Health = health;
    const intervalMs = config.Interval ? config.Interval / MS : DEFAULT_INTERVAL_MS;
    const timeoutMs = config.Timeout ? config.Timeout / MS : DEFAULT_TIMEOUT_MS;
    const tick = () => {
      this.timers.set(
        record.Id,
        setTimeout(() => {
          void this.runProbe(record, config, cmd, timeoutMs).finally(() => {
            if (this.timers.has(record.Id)) tick();
          });
        }, intervalMs),
      );
    };
    tick();
  }

  /** Stops checking (the container exited or is removed). */
  stop(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  /** The container exited: no more probes, and dockerd then reports it unhealthy. */
  exited(record: ContainerRecord): void {
    this.stop(record.Id);
    if (record.State.Health) record.State.Health.Status = 'unhealthy';
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }

  private async runProbe(
    record: ContainerRecord,
    config: HealthConfig,
    cmd: string[],
    timeoutMs: number,
  ): Promise<void> {
    // A frozen container cannot answer; dockerd's probe would only time out.
    if (record.State.Paused) return;
    const start = new Date().toISOString();
    // Each probe is an exec, with the exec events dockerd publishes for it.
    const execId = randomBytes(32).toString('hex');
    const line = cmd.join(' ');
    this.deps.event(record, `exec_create: ${line}`, { execID: execId });
    this.deps.event(record, `exec_start: ${line}`, { execID: execId });
    const result = await this.deps
      .probe(record, cmd, timeoutMs, execId)
      .catch((err: unknown) => ({ exitCode: -1, output: err instanceof Error ? err.message : String(err) }));
    this.deps.event(record, 'exec_die', { execID: execId, exitCode: String(result.exitCode) });
    const health = record.State.Health;
    // The container stopped (or was restarted) while the probe ran: drop the result.
    if (!health || !this.timers.has(record.Id) || !record.State.Running) return;
    const before = health.Status;
    applyResult(health, result, {
      retries: config.Retries || DEFAULT_RETRIES,
      inStartPeriod: Date.now() - Date.parse(record.State.StartedAt) < (config.StartPeriod ?? 0) / MS,
    });
    health.Log.push({
      Start: start,
      End: new Date().toISOString(),
      ExitCode: result.exitCode,
      Output: result.output,
    });
    if (health.Log.length > MAX_LOG_ENTRIES) health.Log.splice(0, health.Log.length - MAX_LOG_ENTRIES);
    await this.deps.save(record).catch(() => {});
    if (health.Status !== before) this.deps.event(record, `health_status: ${health.Status}`);
  }
}

/** dockerd's handleProbeResult: success resets the streak; failures count unless still starting up. */
export function applyResult(
  health: HealthState,
  result: ProbeResult,
  options: { retries: number; inStartPeriod: boolean },
): void {
  if (result.exitCode === 0) {
    health.FailingStreak = 0;
    health.Status = 'healthy';
    return;
  }
  if (options.inStartPeriod && health.Status !== 'healthy') return;
  health.FailingStreak++;
  if (health.FailingStreak >= options.retries) health.Status = 'unhealthy';
}
