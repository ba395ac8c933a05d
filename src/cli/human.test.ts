import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ellipsis, goTimeString, humanDuration, rfc3339Local, timeAgo, truncateId } from './human.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

describe('humanDuration, as go-units words it', () => {
  it('walks the thresholds from seconds to years', () => {
    const cases: [number, string][] = [
      [500, 'Less than a second'],
      [SECOND, '1 second'],
      [59 * SECOND, '59 seconds'],
      [60 * SECOND, 'About a minute'],
      [119 * SECOND, 'About a minute'],
      [59 * 60 * SECOND, '59 minutes'],
      [HOUR, 'About an hour'],
      [1.4 * HOUR, 'About an hour'],
      [1.5 * HOUR, '2 hours'],
      [47 * HOUR, '47 hours'],
      [48 * HOUR, '2 days'],
      [14 * 24 * HOUR, '2 weeks'],
      [60 * 24 * HOUR, '2 months'],
      [2 * 365 * 24 * HOUR, '2 years'],
    ];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, `${ms} ms`);
  });

  it('timeAgo counts back from now in unix seconds', () => {
    assert.equal(timeAgo(1000, 1000 * 1000 + 3 * HOUR), '3 hours ago');
  });
});

describe('Go time layouts in the local zone', () => {
  it('prints time.Time.String() and RFC 3339 for UTC', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      assert.equal(goTimeString(1_700_000_000), '2023-11-14 22:13:20 +0000 UTC');
      assert.equal(rfc3339Local(1_700_000_000), '2023-11-14T22:13:20Z');
      process.env.TZ = 'Asia/Kolkata';
      assert.equal(rfc3339Local(1_700_000_000), '2023-11-15T03:43:20+05:30');
      assert.match(goTimeString(1_700_000_000), /^2023-11-15 03:43:20 \+0530 /);
    } finally {
      process.env.TZ = saved;
      if (saved === undefined) delete process.env.TZ;
    }
  });
});

describe('IDs and ellipsis', () => {
  it('truncateId drops the algorithm and keeps 12 characters', () => {
    assert.equal(truncateId(`sha256:${'ab'.repeat(32)}`), 'abababababab');
    assert.equal(truncateId('<missing>'), '<missing>');
  });

  it('ellipsis cuts to a display width, counting wide characters twice', () => {
    assert.equal(ellipsis('/bin/sh -c #(nop) LABEL org.example.fixture=layers', 45).length, 45);
    assert.ok(ellipsis('/bin/sh -c #(nop) LABEL org.example.fixture=layers', 45).endsWith('fixture=…'));
    assert.equal(ellipsis('short', 45), 'short');
    assert.equal(ellipsis('日本語のテキスト', 7), '日本語…');
    assert.equal(ellipsis('abc', 1), 'a');
    assert.equal(ellipsis('abc', 0), '');
  });
});
