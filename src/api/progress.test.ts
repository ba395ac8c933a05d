import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressBar, progressMessage } from './progress.js';

describe('progress messages', () => {
  it("render Docker's progress bar", () => {
    assert.equal(progressBar(32768, 2232320), `[>${' '.repeat(50)}]  32.77kB/2.232MB`);
    assert.equal(progressBar(2232320, 2232320), `[${'='.repeat(50)}>]  2.232MB/2.232MB`);
    assert.equal(progressBar(0, 0), '');
    assert.equal(progressBar(1500, 0), '   1.5kB');
  });

  it('carry status, detail, bar and id in that order', () => {
    assert.deepEqual(Object.keys(progressMessage('Loading layer', 'abc', 1, 2)), [
      'status',
      'progressDetail',
      'progress',
      'id',
    ]);
  });
});
