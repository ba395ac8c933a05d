/**
 * Docker's JSON progress messages for pull and push (distribution/xfer's
 * progress output): one `id` per layer, a status, and for transfers a
 * progressDetail with current/total bytes and a rendered bar.
 */
import { formatHumanSize } from '../core/units.js';

/** One message of a pull or push stream, in the Engine API's shape. */
export interface ProgressMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: Record<string, unknown>;
}

/** Where an operation reports progress. */
export type ProgressSink = (message: ProgressMessage) => void;

const BAR_WIDTH = 50;

/** `[=====>      ]  12.3MB/45.6MB`, as dockerd renders JSONProgress without a terminal width. */
export function progressBar(current: number, total: number): string {
  const human = (size: number) => formatHumanSize(size, 4);
  if (total <= 0) return human(current).padStart(8);
  const filled = Math.min(BAR_WIDTH, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled)}] `;
  return (
    bar + (current > total ? human(current).padStart(8) : `${human(current).padStart(8)}/${human(total)}`)
  );
}

/** A status line for a layer (`Waiting`, `Pull complete`…); docker sends an empty progressDetail. */
export function layerStatus(id: string, status: string): ProgressMessage {
  return { status, progressDetail: {}, id };
}

/** A transfer update for a layer. */
export function layerProgress(id: string, status: string, current: number, total: number): ProgressMessage {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

/** Reports byte progress at most every `step` bytes (and at the end), as docker's progress reader. */
export function throttled(report: (current: number) => void, total: number, step = 512 * 1024) {
  let last = -step;
  return (current: number) => {
    if (current - last >= step || current === total) {
      last = current;
      report(current);
    }
  };
}

/** Runs tasks with at most `limit` at a time; rejects with the first failure. */
export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  });
  await Promise.all(workers);
}
