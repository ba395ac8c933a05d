/** One engine event in the Docker Engine API's JSON shape (GET /events). */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  time: number;
  /** Nanoseconds since the epoch; a bigint because it exceeds 2^53. */
  timeNano: bigint;
  /** Legacy duplicates of Action / Actor.ID / Attributes.image, sent for container and image events. */
  status?: string;
  id?: string;
  from?: string;
}

export interface PublishInput {
  type: string;
  action: string;
  id: string;
  attributes?: Record<string, string>;
}

/** Builds the wire shape, adding the legacy fields Docker still sends for containers and images. */
export function makeEvent(input: PublishInput, nowNs: bigint): EngineEvent {
  const attributes = input.attributes ?? {};
  const event: EngineEvent = {
    Type: input.type,
    Action: input.action,
    Actor: { ID: input.id, Attributes: attributes },
    scope: 'local',
    time: Number(nowNs / 1_000_000_000n),
    timeNano: nowNs,
  };
  if (input.type === 'container' || input.type === 'image') {
    const legacy: Partial<EngineEvent> = { status: input.action, id: input.id };
    if (attributes.image !== undefined) legacy.from = attributes.image;
    return { ...legacy, ...event } as EngineEvent;
  }
  return event;
}

/** The event as one JSON line, with timeNano written as an exact integer. */
export function serializeEvent(event: EngineEvent): string {
  return JSON.stringify(event, (_key, value) =>
    typeof value === 'bigint' ? `\u0000${value}` : value,
  ).replace(/"\\u0000(\d+)"/g, '$1');
}
