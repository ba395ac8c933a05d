import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyResult, goDuration, mergeHealthcheck, probeCommand } from './health.js';
import type { HealthState } from './record.js';

describe('health checks', () => {
  it('merge the container config over the image one and check durations', () => {
    const merged = mergeHealthcheck({ Test: [], Interval: 2e9 }, { Test: ['CMD', 'true'], Retries: 5 });
    assert.deepEqual(merged, { Test: ['CMD', 'true'], Interval: 2e9, Retries: 5 });
    assert.throws(
      () => mergeHealthcheck({ Interval: 5 }, undefined),
      /Interval in Healthcheck cannot be less than 1ms/,
    );
    assert.throws(
      () => mergeHealthcheck({ Retries: -1 }, undefined),
      /Retries in Healthcheck cannot be negative/,
    );
  });

  it('turn Test into a command; NONE means no check', () => {
    assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'curl -f x'] }), ['/bin/sh', '-c', 'curl -f x']);
    assert.deepEqual(probeCommand({ Test: ['CMD', 'a', 'b'] }), ['a', 'b']);
    assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
  });

  it('count failures up to Retries, not during the start period, and reset on success', () => {
    const h: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };
    applyResult(h, { exitCode: 1, output: '' }, { retries: 2, inStartPeriod: true });
    assert.deepEqual([h.Status, h.FailingStreak], ['starting', 0]);
    applyResult(h, { exitCode: 1, output: '' }, { retries: 2, inStartPeriod: false });
    applyResult(h, { exitCode: 1, output: '' }, { retries: 2, inStartPeriod: false });
    assert.deepEqual([h.Status, h.FailingStreak], ['unhealthy', 2]);
    applyResult(h, { exitCode: 0, output: '' }, { retries: 2, inStartPeriod: false });
    assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 0]);
  });

  it('print timeouts as Go durations', () => {
    assert.deepEqual([goDuration(500), goDuration(30_000), goDuration(1500)], ['500ms', '30s', '1.5s']);
  });
});
