/**
 * Opt-in timing of the container path's steps for profiling `run --rm`
 * (create → start → wait → rm): with BERTH_TRACE_SPANS=1 in berthd's
 * environment each step writes one line to stderr, `span NAME MS ms at T`
 * (T: its start on the daemon's clock, in ms). Off, a step costs one branch.
 */
const enabled = process.env['BERTH_TRACE_SPANS'] === '1';

/** Runs work, and when tracing reports how long it took. */
export function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  const start = performance.now();
  return work().finally(() => reportSpan(name, start));
}

/** Whether spans are being written (for callers that time something themselves). */
export function tracingSpans(): boolean {
  return enabled;
}

/** Writes one span that began at `start` (performance.now()) and ends now. */
export function reportSpan(name: string, start: number): void {
  if (!enabled) return;
  process.stderr.write(`span ${name} ${(performance.now() - start).toFixed(1)} ms at ${start.toFixed(1)}\n`);
}
