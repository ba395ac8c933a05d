/** Counts failed logins and refuses further attempts for a while once too many failed. */
export interface LoginLimiter {
  /** Whether a login from this key may be attempted now. */
  allowed(key: string): boolean;
  failed(key: string): void;
  succeeded(key: string): void;
}

/** Options of {@link createLoginLimiter}. */
export interface LoginLimiterOptions {
  /** Failures allowed in one window. */
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

/** A fixed-window limiter keyed by client address and user name. */
export function createLoginLimiter(options: LoginLimiterOptions): LoginLimiter {
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; since: number }>();
  const current = (key: string) => {
    const entry = failures.get(key);
    if (entry && now() - entry.since >= options.windowMs) {
      failures.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    allowed: (key) => (current(key)?.count ?? 0) < options.maxFailures,
    failed(key) {
      const entry = current(key);
      if (entry) entry.count++;
      else {
        if (failures.size > 100_000) failures.clear();
        failures.set(key, { count: 1, since: now() });
      }
    },
    succeeded(key) {
      failures.delete(key);
    },
  };
}
