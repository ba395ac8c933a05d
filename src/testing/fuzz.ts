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
