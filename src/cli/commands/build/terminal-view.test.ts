import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TerminalBuildView } from './terminal-view.js';

/** Replays the view's writes on a tiny screen model: lines, cursor-up and clear-below. */
function screen(writes: string[]): string[] {
  const lines: string[] = [];
  for (const text of writes) {
    const up = /^\u001b\[(\d+)A\u001b\[J$/.exec(text);
    if (up) lines.splice(lines.length - Number(up[1]));
    else lines.push(text.replace(/\n$/, '').replace(/\u001b\[\d+m/g, ''));
  }
  return lines;
}

describe('berth build on a terminal', () => {
  it('shows a step’s output while it runs and folds it into a count after', () => {
    const writes: string[] = [];
    let clock = 0;
    const view = new TerminalBuildView(
      (t) => writes.push(t),
      2,
      80,
      () => clock,
    );
    view.stream('Step 1/2 : RUN make\n ---> Running in 0123456789ab\n');
    view.stream('one\ntwo\nthr');
    view.stream('ee\n');
    assert.deepEqual(screen(writes).slice(-2), ['  │ two', '  │ three']);
    clock = 1500;
    view.stream('Removing intermediate container 0123456789ab\n ---> abcdefabcdef\n');
    view.end();
    assert.deepEqual(screen(writes), [
      'Step 1/2 : RUN make',
      ' ---> Running in 0123456789ab',
      'Removing intermediate container 0123456789ab',
      ' ---> abcdefabcdef  (1.5s, 3 lines of output)',
    ]);
  });
});
