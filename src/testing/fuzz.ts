import fc, { type IAsyncProperty, type IProperty } from 'fast-check';
/**
 * Settings shared by the property-based (fuzz) tests. CI runs a short pass;
 * BERTH_FUZZ_RUNS=5000 (for example) runs the long one, BERTH_FUZZ_SEED
 * replays a failure that fast-check reported.
 */
export function fuzzRuns(ciDefault = 200): number {
  const runs = Number(process.env.BERTH_FUZZ_RUNS);
  return Number.isInteger(runs) && runs > 0 ? runs : ciDefault;
}

export function fuzzParameters(ciDefault = 200): { numRuns: number; seed?: number } {
  const seed = Number(process.env.BERTH_FUZZ_SEED);
  return { numRuns: fuzzRuns(ciDefault), ...(Number.isInteger(seed) ? { seed } : {}) };
}

/** fc.assert, with the failing run's own error message in the report (node:test drops causes). */
export async function assertProperty<T>(
  property: IAsyncProperty<T> | IProperty<T>,
  ciDefault = 200,
): Promise<void> {
  const details = await fc.check(property as IAsyncProperty<T>, fuzzParameters(ciDefault));
  if (details.failed) {
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details)}\n\nFailure: ${cause}`);
  }
}
