/** Summary of one tool's samples in a workload. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/**
 * Runs each subject `runs` times, interleaved (A B, B A, A B …) after a
 * warm-up round, so drift on a shared machine hits every tool alike.
 */
export async function interleave(
  subjects: readonly { tool: string; once: () => Promise<number> }[],
  runs: number,
  warmup = 1,
): Promise<Map<string, number[]>> {
  const samples = new Map(subjects.map((s) => [s.tool, [] as number[]]));
  for (let w = 0; w < warmup; w++) for (const s of subjects) await s.once();
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? subjects : [...subjects].reverse();
    for (const s of order) samples.get(s.tool)!.push(await s.once());
  }
  return samples;
}
