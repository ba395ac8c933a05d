/** What a waiter waits for (POST /containers/{id}/wait's condition). */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

interface Waiter {
  condition: WaitCondition;
  resolve: (code: number) => void;
}

/**
 * Pending `wait` calls per container. `docker run` registers its wait
 * before `start`, so "not-running" on a created container waits for the
 * coming run to end, as dockerd does.
 */
export class Waiters {
  private readonly pending = new Map<string, Set<Waiter>>();

  wait(
    id: string,
    condition: WaitCondition,
    busy: () => boolean,
    signal?: AbortSignal,
    exitCode: () => number = () => 0,
  ): Promise<number> {
    if (condition === 'not-running' && !busy()) return Promise.resolve(exitCode());
    return new Promise((resolve, reject) => {
      const set = this.pending.get(id) ?? new Set<Waiter>();
      this.pending.set(id, set);
      const waiter: Waiter = { condition, resolve };
      set.add(waiter);
      signal?.addEventListener('abort', () => {
        set.delete(waiter);
        reject(signal.reason);
      });
    });
  }

  private settle(id: string, match: (c: WaitCondition) => boolean, code: number): void {
    const set = this.pending.get(id);
    if (!set) return;
    for (const w of [...set]) {
      if (match(w.condition)) {
        set.delete(w);
        w.resolve(code);
      }
    }
    if (set.size === 0) this.pending.delete(id);
  }

  exited(id: string, code: number): void {
    this.settle(id, (c) => c !== 'removed', code);
  }

  removed(id: string, code: number): void {
    this.settle(id, () => true, code);
  }
}
