import type { Digest } from '../core/digest.js';
import { parseDigest } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import { registryError } from './errors.js';

// distribution-spec "Pulling manifests": <name> is path components of this
// grammar separated by "/"; there is no hostname part inside a registry.
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const UPLOAD_ID = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;

/** Longest repository name accepted, as in distribution (255 characters). */
export const MAX_NAME_LENGTH = 255;

/** A manifest reference: a tag or a digest. */
export type Reference = { tag: string; digest?: undefined } | { digest: Digest; tag?: undefined };

/** Whether a string is a valid repository name. Never throws. */
export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && REPOSITORY_NAME.test(name);
}

/** Validates a repository name; NAME_INVALID otherwise. Path traversal cannot pass the grammar. */
export function parseRepositoryName(name: string): string {
  if (!isRepositoryName(name)) throw registryError('NAME_INVALID', { detail: { name } });
  return name;
}

/** Whether a string is a valid tag. */
export function isTag(value: string): boolean {
  return TAG.test(value);
}

/** Validates a digest from a URL or query; DIGEST_INVALID with the parse reason otherwise. */
export function parseRegistryDigest(value: string): Digest {
  try {
    return parseDigest(value);
  } catch (err) {
    if (!isKind(err, ErrorKind.InvalidArgument)) throw err;
    throw registryError('DIGEST_INVALID', { message: (err as Error).message, detail: { digest: value } });
  }
}

/** Parses `<reference>` of the manifests endpoint: a digest if it has a colon, else a tag. */
export function parseReference(value: string): Reference {
  if (value.includes(':')) return { digest: parseRegistryDigest(value) };
  if (!isTag(value)) throw registryError('TAG_INVALID', { message: 'invalid tag', detail: { tag: value } });
  return { tag: value };
}

/** Validates an upload session id (the server hands out UUIDs only). */
export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}
