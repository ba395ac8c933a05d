/**
 * Runs tasks one at a time per key, in call order; tasks on different keys run
 * freely. A task's turn is claimed synchronously when `run` is called, which is
 * what lets a caller order a later operation after an earlier one without
 * awaiting it first.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued earlier on `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    // Forget the key once idle so the map does not grow with every digest seen.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
