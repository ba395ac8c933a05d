import { invalidArgument } from '../core/errors.js';

/** HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';
  MaximumRetryCount: number;
}

const NAMES = ['', 'no', 'always', 'on-failure', 'unless-stopped'];

/** The first wait before a restart; it doubles with each restart (moby restartmanager). */
const INITIAL_DELAY_MS = 100;
/** The longest wait between two restarts. */
const MAX_DELAY_MS = 60_000;
/** A container that ran this long starts over from the first delay. */
const RESET_AFTER_MS = 10_000;

/**
 * Checks a restart policy as dockerd's `validateRestartPolicy` does, with its messages.
 * An absent policy is "no".
 */
export function checkRestartPolicy(raw: unknown, autoRemove: boolean): RestartPolicy {
  const policy = (raw ?? {}) as { Name?: unknown; MaximumRetryCount?: unknown };
  const name = String(policy.Name ?? '');
  const max = Number(policy.MaximumRetryCount ?? 0);
  if (!NAMES.includes(name))
    throw invalidArgument(
      `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  if (!Number.isInteger(max))
    throw invalidArgument('invalid restart policy: maximum retry count must be an integer');
  if (name !== 'on-failure' && max !== 0)
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (max < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  if (autoRemove && name !== '' && name !== 'no')
    throw invalidArgument("can't create 'AutoRemove' container with restart policy");
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: max };
}

/** What the restart decision looks at. */
export interface ExitFacts {
  exitCode: number;
  /** The user stopped or killed it (or the daemon is shutting down). */
  manuallyStopped: boolean;
  /** Restarts so far (RestartCount). */
  restartCount: number;
}

/** Whether the policy restarts a container that exited so (moby's RestartManager.ShouldRestart). */
export function policyRestarts(policy: RestartPolicy, facts: ExitFacts): boolean {
  switch (policy.Name) {
    case 'always':
      return !facts.manuallyStopped;
    case 'unless-stopped':
      return !facts.manuallyStopped;
    case 'on-failure':
      return (
        facts.exitCode !== 0 &&
        !facts.manuallyStopped &&
        (policy.MaximumRetryCount === 0 || facts.restartCount < policy.MaximumRetryCount)
      );
    default:
      return false;
  }
}

/** Whether berthd starts the container when it starts (moby's restore: always, or unless-stopped not stopped by hand). */
export function startsWithDaemon(policy: RestartPolicy, facts: ExitFacts): boolean {
  if (policy.Name === 'always') return true;
  return policyRestarts(policy, facts);
}

/**
 * Restart timing per container: Docker's back-off (100 ms, doubling up to a
 * minute, back to 100 ms once a run lasted 10 s) and a cancellable wait, so
 * `docker stop` or `rm -f` during the wait stops the restart.
 */
export class RestartScheduler {
  private readonly delays = new Map<string, number>();
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; cancel: () => void }>();

  /** The delay before the next restart of a container whose last run lasted `ranForMs`. */
  nextDelay(id: string, ranForMs: number): number {
    let delay = ranForMs >= RESET_AFTER_MS ? 0 : (this.delays.get(id) ?? 0);
    delay = delay === 0 ? INITIAL_DELAY_MS : Math.min(delay * 2, MAX_DELAY_MS);
    this.delays.set(id, delay);
    return delay;
  }

  /** Resolves true after `delayMs`, or false if cancelled first. */
  wait(id: string, delayMs: number): Promise<boolean> {
    this.cancel(id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(true);
      }, delayMs);
      this.pending.set(id, { timer, cancel: () => resolve(false) });
    });
  }

  /** True when a restart of `id` is waiting. */
  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Cancels a waiting restart; true if there was one. */
  cancel(id: string): boolean {
    const entry = this.pending.get(id);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    entry.cancel();
    return true;
  }

  /** Forgets a removed container. */
  forget(id: string): void {
    this.cancel(id);
    this.delays.delete(id);
  }

  /** Cancels every waiting restart (daemon shutdown). */
  close(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id);
  }
}
