import type { Digest } from '../core/digest.js';
import type { PublishInput } from '../events/event.js';

/** Where image events go: the engine's EventBus. */
export interface EventSink {
  publish(input: PublishInput): unknown;
}

/** Image event actions, as dockerd names them. */
export type ImageAction = 'load' | 'save' | 'import' | 'tag' | 'untag' | 'delete' | 'prune';

/**
 * Publishes an image event as dockerd's LogImageEvent does: the actor is the
 * image ID, its attributes are the image's labels plus `name`.
 */
export function publishImageEvent(
  sink: EventSink,
  action: ImageAction,
  id: Digest | '',
  name: string,
  labels: Record<string, string> = {},
): void {
  sink.publish({ type: 'image', action, id, attributes: { ...labels, ...(name ? { name } : {}) } });
}
