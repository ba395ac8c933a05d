import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatGoTime,
  GO_ZERO_TIME,
  nowRfc3339Nano,
  parseFilterTime,
  unixNanos,
  unixSeconds,
} from './time.js';

describe('Docker timestamps', () => {
  it('reformat config times as Go RFC3339Nano in UTC', () => {
    assert.equal(formatGoTime('2026-11-29T04:14:23.140097620Z'), '2026-11-29T04:14:23.14009762Z');
    assert.equal(formatGoTime('2024-01-01T02:00:00.500+02:00'), '2024-01-01T00:00:00.5Z');
    assert.equal(formatGoTime('2024-01-01T00:00:00.000000000Z'), '2024-01-01T00:00:00Z');
    assert.equal(formatGoTime(undefined), GO_ZERO_TIME);
    assert.equal(formatGoTime('yesterday'), GO_ZERO_TIME);
  });

  it('give unix seconds and exact nanoseconds', () => {
    assert.equal(unixSeconds('2026-11-29T04:14:38.122292847Z'), 1795925678);
    assert.equal(unixNanos('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n);
  });

  it('read filter times as Go durations, dates or unix seconds', () => {
    const now = 10_000n * 1_000_000_000n;
    assert.equal(parseFilterTime('1h', now), now - 3600n * 1_000_000_000n);
    assert.equal(parseFilterTime('1h30m', now), now - 5400n * 1_000_000_000n);
    assert.equal(parseFilterTime('1700000000.5'), 1_700_000_000_500_000_000n);
    assert.equal(parseFilterTime('1970-01-02'), 86_400n * 1_000_000_000n);
    assert.equal(parseFilterTime('1970-01-01T00:00:10'), 10n * 1_000_000_000n);
    assert.throws(() => parseFilterTime('soon'), /failed to parse value as time or duration/);
  });

  it('write the current time with nanoseconds', () => {
    assert.match(
      nowRfc3339Nano(() => 1_700_000_000_123_456_789n),
      /^2023-11-14T22:13:20\.123456789Z$/,
    );
  });
});
