import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration, rfc3339NanoFixed, toApiTimestamp } from './timestamps.js';

describe('docker timestamps', () => {
  const now = Date.UTC(2026, 10, 29, 12, 0, 0);
  it('turns durations into whole seconds before now, as docker does; "0" is a timestamp', () => {
    assert.equal(toApiTimestamp('10m', now), `${now / 1000 - 600}`);
    assert.equal(toApiTimestamp('1h30m', now), `${now / 1000 - 5400}`);
    assert.equal(toApiTimestamp('1.5s', now + 700), `${now / 1000 - 1}`);
    assert.equal(toApiTimestamp('0', now), '0.000000000');
  });
  it('keeps unix timestamps and parses RFC 3339 dates', () => {
    assert.equal(toApiTimestamp('1700000000'), '1700000000.000000000');
    assert.equal(toApiTimestamp('1700000000.5'), '1700000000.500000000');
    assert.equal(toApiTimestamp('2026-11-29T12:00:00Z'), `${now / 1000}.000000000`);
    assert.equal(toApiTimestamp('2026-11-29'), `${Date.UTC(2026, 10, 29) / 1000}.000000000`);
    assert.throws(() => toApiTimestamp('yesterday'), /failed to parse value as time or duration/);
  });
  it('parses Go durations', () => {
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('nope'), undefined);
  });
  it('formats RFC3339NanoFixed with nine fraction digits', () => {
    const prev = process.env.TZ;
    process.env.TZ = 'UTC';
    assert.equal(rfc3339NanoFixed(1_795_925_834_000_000_123n), '2026-11-29T04:17:14.000000123Z');
    process.env.TZ = prev;
  });
});
