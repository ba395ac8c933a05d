import { formatHumanSize } from '../core/units.js';

/** Docker's progress bar is 50 characters wide when the daemon renders it (no terminal width known). */
const BAR_WIDTH = 50;

/**
 * The `progress` text of a JSON progress message, as Docker's JSONProgress
 * renders it for a wide terminal: `[=====>      ]  12.3MB/45.6MB`.
 */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  const human = (size: number) => formatHumanSize(size, 4);
  if (total <= 0) return human(current).padStart(8);
  const percentage = Math.min(BAR_WIDTH, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(percentage)}>${' '.repeat(BAR_WIDTH - percentage)}] `;
  const numbers =
    current > total ? human(current).padStart(8) : `${human(current).padStart(8)}/${human(total)}`;
  return bar + numbers;
}

/** One progress line: `{"status":"Loading layer","progressDetail":{…},"progress":"[=>  ] …","id":"…"}`. */
export function progressMessage(status: string, id: string, current: number, total: number) {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}
