/**
 * Docker image references, parsed and normalised exactly as Docker does it
 * (distribution/reference, which moby and the docker CLI share), with the same
 * error texts, since users and scripts see them.
 *
 * ```
 * reference  := name [ ":" tag ] [ "@" digest ]
 * name       := [domain "/"] path            path ≤ 255 characters
 * domain     := host [":" port]              host: DNS name, IPv4, or [IPv6]
 * path       := component ["/" component]*   component: [a-z0-9]+ joined by . _ __ or -+
 * tag        := [\w][\w.-]{0,127}
 * ```
 *
 * Normalising turns the familiar `busybox` into `docker.io/library/busybox`;
 * the familiar form is what Docker shows back to people.
 */
import { type Digest, parseDigest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';

/** A parsed image reference. */
export interface Reference {
  /** Registry, e.g. `docker.io` or `localhost:5000`; empty only from {@link parseReference}. */
  readonly domain: string;
  /** Repository within the registry, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** Docker Hub's domain in normalised names. */
export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
/** The tag a reference without tag or digest stands for. */
export const DEFAULT_TAG = 'latest';
/** Longest repository path Docker accepts. */
export const MAX_PATH_LENGTH = 255;

// The grammar above, as distribution/reference's regexp.go builds it.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[(?:[a-fA-F0-9:]+)\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${domainAndPort}/)?${remoteName})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const NAME = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const TAG = new RegExp(`^${tagPattern}$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const ID_LIKE = /^(?:sha256:)?[a-f0-9]{1,64}$/;

/**
 * Parses a reference as written, without normalising (distribution's `Parse`):
 * `busybox` stays `busybox` with no domain. Throws InvalidArgument.
 */
export function parseReference(text: string): Reference {
  if (text === '') throw invalidArgument('repository name must have at least one component');
  const match = REFERENCE.exec(text);
  if (!match) {
    const lower = text.toLowerCase();
    if (lower !== text && REFERENCE.test(lower)) throw invalidArgument('repository name must be lowercase');
    throw invalidArgument('invalid reference format');
  }
  const [, name = '', tag, digest] = match;
  const parts = NAME.exec(name);
  const path = parts?.[2] ?? name;
  if (path.length > MAX_PATH_LENGTH) {
    throw invalidArgument(`repository name must not be more than ${MAX_PATH_LENGTH} characters`);
  }
  return withParts(parts?.[1] ?? '', path, tag, digest === undefined ? undefined : parseDigest(digest));
}

/**
 * Parses what a user typed into a fully qualified reference (distribution's
 * `ParseNormalizedNamed`): `busybox:1.36` → `docker.io/library/busybox:1.36`.
 * No tag is added; see {@link parseDockerRef}. Throws InvalidArgument.
 */
export function parseNormalizedNamed(text: string): Reference {
  if (IDENTIFIER.test(text)) {
    throw invalidArgument(`invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(text);
  const tagStart = remainder.indexOf(':');
  const remote = tagStart < 0 ? remainder : remainder.slice(0, tagStart);
  if (remote.toLowerCase() !== remote) {
    throw invalidArgument(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/**
 * Normalises as Docker does before pulling or storing: `latest` when there is
 * neither tag nor digest, and only the digest when there are both
 * (`busybox:1@sha256:…` → `docker.io/library/busybox@sha256:…`).
 */
export function parseDockerRef(text: string): Reference {
  const ref = parseNormalizedNamed(text);
  if (ref.digest !== undefined) return withParts(ref.domain, ref.path, undefined, ref.digest);
  return tagNameOnly(ref);
}

/** Adds the `latest` tag to a reference that has neither tag nor digest. */
export function tagNameOnly(ref: Reference): Reference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return withParts(ref.domain, ref.path, DEFAULT_TAG, undefined);
}

/** The same repository with another tag (as `docker tag` makes). Throws `invalid tag format`. */
export function withTag(ref: Reference, tag: string): Reference {
  if (!TAG.test(tag)) throw invalidArgument('invalid tag format');
  return withParts(ref.domain, ref.path, tag, undefined);
}

/** The repository name: `docker.io/library/busybox`. */
export function referenceName(ref: Reference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** The whole reference: `docker.io/library/busybox:latest`, `…@sha256:…`. */
export function formatReference(ref: Reference): string {
  return referenceName(ref) + suffix(ref);
}

/**
 * The name as Docker shows it: without `docker.io/`, and without `library/`
 * for official images (`docker.io/library/x` → `x`, `docker.io/user/x` → `user/x`).
 */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return referenceName(ref);
  const official = ref.path.startsWith(OFFICIAL_REPO_PREFIX)
    ? ref.path.slice(OFFICIAL_REPO_PREFIX.length)
    : '';
  // Only a single-component path is an official image; library/a/b keeps its prefix.
  return official !== '' && !official.includes('/') ? official : ref.path;
}

/** The familiar name with tag and digest: `busybox:latest`. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + suffix(ref);
}

/**
 * Whether `text` could be an image id or a prefix of one (`sha256:<hex>` or
 * bare hex, as `docker rmi 8a1f` accepts). Some such strings are also valid
 * names; Docker tries the name first.
 */
export function isImageIdLike(text: string): boolean {
  return ID_LIKE.test(text);
}

/**
 * Parses an image id, a digest, or a name (distribution's `ParseAnyReference`):
 * 64 hex characters or a `sha256:` digest give a Digest, anything else a
 * normalised Reference.
 */
export function parseAnyReference(text: string): Digest | Reference {
  if (IDENTIFIER.test(text)) return `sha256:${text}`;
  if (text.startsWith('sha256:')) {
    try {
      return parseDigest(text);
    } catch {
      // Not a digest after all; it may still be a name such as "sha256:tag".
    }
  }
  return parseNormalizedNamed(text);
}

/**
 * Splits off the registry, as Docker decides it: the first component is a
 * domain when it is `localhost`, contains `.` or `:`, or has upper case (a
 * path never does); otherwise the name is on Docker Hub, under `library/`
 * when it has a single component.
 */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain = DEFAULT_DOMAIN;
  let remainder = name;
  if (first === LEGACY_DEFAULT_DOMAIN) remainder = rest;
  else if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    domain = first;
    remainder = rest;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

function suffix(ref: Reference): string {
  return (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
}

/** Builds a Reference without undefined properties, so records compare and serialise cleanly. */
function withParts(
  domain: string,
  path: string,
  tag: string | undefined,
  digest: Digest | undefined,
): Reference {
  return {
    domain,
    path,
    ...(tag === undefined || tag === '' ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}
