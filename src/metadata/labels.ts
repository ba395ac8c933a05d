import { invalidArgument } from '../core/errors.js';

/** Labels: small string key/value pairs on records, as in Docker and containerd. */
export type Labels = Record<string, string>;

/**
 * Selects records by label: a string value must match exactly, `true` only
 * asks for the key (Docker's `label=key` and `label=key=value` filters).
 */
export type LabelFilter = Record<string, string | true>;

// containerd's limit on one label (key plus value), to keep records small.
const MAX_LABEL_LENGTH = 4096;

/** Checks labels given by a caller; returns a copy safe to store. */
export function validateLabels(labels: Labels | undefined): Labels {
  const copy: Labels = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key === '') throw invalidArgument('label key must not be empty');
    if (typeof value !== 'string') throw invalidArgument(`label ${key}: value must be a string`);
    if (key.length + value.length > MAX_LABEL_LENGTH) {
      throw invalidArgument(
        `label key and value length (${key.length + value.length} bytes) greater than maximum size (${MAX_LABEL_LENGTH} bytes), key: ${key.slice(0, 10)}`,
      );
    }
    copy[key] = value;
  }
  return copy;
}

/** Reads a labels column. */
export function parseLabels(json: string): Labels {
  return JSON.parse(json) as Labels;
}

/** Whether `labels` satisfy every condition of `filter`. */
export function matchesLabels(labels: Labels, filter: LabelFilter | undefined): boolean {
  return Object.entries(filter ?? {}).every(([key, wanted]) =>
    wanted === true ? Object.hasOwn(labels, key) : labels[key] === wanted,
  );
}
