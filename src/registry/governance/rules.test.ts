import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRetention, matchesPattern, planRetention } from './rules.js';

describe('tag rules', () => {
  it('matches * and ? and nothing else as wildcards', () => {
    assert.ok(matchesPattern('v1.*', 'v1.2.3'));
    assert.ok(matchesPattern('release-?', 'release-7'));
    assert.ok(!matchesPattern('v1.*', 'v10'));
    assert.ok(!matchesPattern('release-?', 'release-77'));
    assert.ok(!matchesPattern('latest', 'latest2'));
  });

  it('keeps a tag when any rule keeps it, and immutable tags always', () => {
    const day = 86_400_000;
    const now = 100 * day;
    const tags = ['t5', 't4', 't3', 't2', 't1'].map((tag, i) => ({
      repository: 'p/app',
      tag,
      digest: `sha256:${i}`,
      pushedAt: now - i * 10 * day,
      pulledAt: null as number | null,
    }));
    tags.push({ repository: 'p/other', tag: 'old', digest: 'sha256:x', pushedAt: 0, pulledAt: null });
    const plan = planRetention(tags, { keepLast: 1, keepDays: 15, keepTags: ['t1'] }, ['t3'], now);
    assert.deepEqual(
      plan.map((d) => `${d.repository}:${d.tag}=${d.action}`),
      [
        'p/app:t5=keep',
        'p/app:t4=keep',
        'p/app:t3=keep',
        'p/app:t2=delete',
        'p/app:t1=keep',
        'p/other:old=keep',
      ],
    );
    assert.ok(planRetention(tags, undefined, [], now).every((d) => d.action === 'keep'));
    const pulled = tags.map((t) => (t.tag === 't2' ? { ...t, pulledAt: now - day } : t));
    const byPull = planRetention(pulled, { keepPulledDays: 7 }, [], now);
    assert.deepEqual(
      byPull.filter((d) => d.action === 'keep').map((d) => `${d.tag}: ${d.reason}`),
      ['t2: pulled within 7 days'],
    );
  });

  it('refuses malformed policies, naming the key', () => {
    assert.throws(() => checkRetention({ keepLast: -1 }), /retention.keepLast: a non-negative integer/);
    assert.throws(() => checkRetention({ keep: 1 }), /retention.keep: unknown key/);
    assert.throws(() => checkRetention({ keepTags: ['a/b'] }), /retention.keepTags/);
  });
});
