import type { EngineEvent } from './event.js';

/**
 * Event filters as the Engine API takes them: `{"type":["container"],"label":["a=b"]}`.
 * Values of one key are ORed, except labels, which are ANDed (dockerd's rule).
 */
export type EventFilters = Record<string, string[]>;

export const EVENT_FILTER_KEYS = [
  'type',
  'event',
  'container',
  'image',
  'label',
  'network',
  'volume',
  'daemon',
  'scope',
  'plugin',
  'node',
  'service',
  'config',
  'secret',
];

function matchesLabel(event: EngineEvent, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  const attrs = event.Actor.Attributes;
  if (eq < 0) return Object.hasOwn(attrs, wanted);
  return attrs[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

/** True when the event's actor is named by `value` as an ID, an ID prefix or a name. */
function matchesActor(event: EngineEvent, type: string, value: string): boolean {
  if (event.Type !== type) return false;
  const name = event.Actor.Attributes.name;
  return event.Actor.ID === value || event.Actor.ID.startsWith(value) || name === value;
}

function matchesImage(event: EngineEvent, value: string): boolean {
  const image = event.Actor.Attributes.image ?? (event.Type === 'image' ? event.Actor.ID : undefined);
  if (image === undefined) return false;
  const bare = (ref: string) => ref.replace(/:[^/:]+$/, '');
  return image === value || bare(image) === bare(value) || event.Actor.ID === value;
}

export function matchesFilters(event: EngineEvent, filters: EventFilters): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    let ok: boolean;
    switch (key) {
      case 'label':
        ok = values.every((v) => matchesLabel(event, v));
        break;
      case 'type':
        ok = values.includes(event.Type);
        break;
      case 'event':
        ok = values.some((v) => event.Action === v || event.Action.startsWith(`${v}:`));
        break;
      case 'scope':
        ok = values.includes(event.scope);
        break;
      case 'image':
        ok = values.some((v) => matchesImage(event, v));
        break;
      case 'container':
      case 'network':
      case 'volume':
      case 'daemon':
      case 'plugin':
        ok = values.some((v) => matchesActor(event, key, v));
        break;
      default:
        ok = false;
    }
    if (!ok) return false;
  }
  return true;
}
