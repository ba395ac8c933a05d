import { type EngineEvent, makeEvent, type PublishInput } from './event.js';
import { type EventFilters, matchesFilters } from './filters.js';

const hrtimeOrigin = process.hrtime.bigint();
const wallOrigin = BigInt(Date.now()) * 1_000_000n;

/** Wall-clock nanoseconds with monotonic resolution, so events never share a timestamp by rounding. */
export function wallClockNs(): bigint {
  return wallOrigin + (process.hrtime.bigint() - hrtimeOrigin);
}

export interface Subscription {
  /** Events recorded at or after `sinceNs`, oldest first, that match the filters. */
  readonly backlog: EngineEvent[];
  close(): void;
}

export interface SubscribeOptions {
  filters?: EventFilters;
  sinceNs?: bigint;
  onEvent: (event: EngineEvent) => void;
}

/**
 * The in-process event bus behind GET /events. It keeps the most recent events
 * in a ring so that `since` can replay them, as dockerd does with its 256.
 */
export class EventBus {
  private readonly ring: EngineEvent[] = [];
  private readonly subscribers = new Set<{ filters: EventFilters; onEvent: (e: EngineEvent) => void }>();

  constructor(
    private readonly capacity = 1024,
    private readonly clock: () => bigint = wallClockNs,
  ) {}

  get listenerCount(): number {
    return this.subscribers.size;
  }

  publish(input: PublishInput): EngineEvent {
    const event = makeEvent(input, this.clock());
    this.ring.push(event);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const sub of this.subscribers) {
      if (matchesFilters(event, sub.filters)) sub.onEvent(event);
    }
    return event;
  }

  subscribe(options: SubscribeOptions): Subscription {
    const filters = options.filters ?? {};
    const since = options.sinceNs;
    const backlog =
      since === undefined ? [] : this.ring.filter((e) => e.timeNano >= since && matchesFilters(e, filters));
    const entry = { filters, onEvent: options.onEvent };
    this.subscribers.add(entry);
    return { backlog, close: () => this.subscribers.delete(entry) };
  }
}
