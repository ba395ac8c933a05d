import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from './bus.js';
import type { EngineEvent } from './event.js';
import { serializeEvent } from './event.js';
import { matchesFilters } from './filters.js';

function clockFrom(start: bigint) {
  let now = start;
  return () => {
    now += 1000n;
    return now;
  };
}

describe('EventBus', () => {
  it('delivers to matching subscribers only', () => {
    const bus = new EventBus(10);
    const seen: EngineEvent[] = [];
    const sub = bus.subscribe({ filters: { type: ['network'] }, onEvent: (e) => seen.push(e) });
    bus.publish({ type: 'container', action: 'start', id: 'a' });
    bus.publish({ type: 'network', action: 'create', id: 'n1', attributes: { name: 'net' } });
    sub.close();
    bus.publish({ type: 'network', action: 'destroy', id: 'n1' });
    assert.deepEqual(
      seen.map((e) => e.Action),
      ['create'],
    );
    assert.equal(bus.listenerCount, 0);
  });

  it('replays the ring since a time, and drops the oldest past capacity', () => {
    const bus = new EventBus(3, clockFrom(1_700_000_000_000_000_000n));
    for (const id of ['a', 'b', 'c', 'd']) bus.publish({ type: 'container', action: 'create', id });
    const sub = bus.subscribe({ sinceNs: 0n, onEvent: () => {} });
    assert.deepEqual(
      sub.backlog.map((e) => e.Actor.ID),
      ['b', 'c', 'd'],
    );
    const later = bus.subscribe({ sinceNs: 1_700_000_000_000_003_000n, onEvent: () => {} });
    assert.deepEqual(
      later.backlog.map((e) => e.Actor.ID),
      ['c', 'd'],
    );
  });

  it('writes timeNano as an exact integer', () => {
    const bus = new EventBus(2, () => 1_795_925_834_749_391_233n);
    const e = bus.publish({ type: 'daemon', action: 'reload', id: 'x' });
    assert.match(serializeEvent(e), /"timeNano":1795925834749391233\}$/);
    assert.equal(e.time, 1_795_925_834);
  });
});

describe('event filters', () => {
  const event = (over: Partial<EngineEvent> = {}): EngineEvent => ({
    Type: 'container',
    Action: 'exec_start: sh -c true',
    Actor: { ID: 'abcdef123456', Attributes: { name: 'web', image: 'nginx:latest', tier: 'front' } },
    scope: 'local',
    time: 1,
    timeNano: 1n,
    ...over,
  });
  it('ANDs labels and ORs other values', () => {
    assert.ok(matchesFilters(event(), { label: ['tier=front', 'name'] }));
    assert.ok(!matchesFilters(event(), { label: ['tier=front', 'missing'] }));
    assert.ok(matchesFilters(event(), { container: ['nope', 'web'] }));
    assert.ok(matchesFilters(event(), { container: ['abcdef'] }));
  });
  it('matches event names with a colon suffix and images with or without tag', () => {
    assert.ok(matchesFilters(event(), { event: ['exec_start'] }));
    assert.ok(matchesFilters(event(), { image: ['nginx'] }));
    assert.ok(!matchesFilters(event(), { image: ['redis'] }));
    assert.ok(!matchesFilters(event(), { type: ['image'] }));
  });
});
