import { DockerMediaType, isForeignLayerMediaType, OciMediaType } from '../../core/descriptor.js';
import { type Digest, isDigest } from '../../core/digest.js';
import { registryError } from '../errors.js';

/** What the registry needs to know of a pushed manifest. */
export interface ParsedManifest {
  mediaType: string;
  /** Config and layers the repository must hold (foreign layers with URLs excepted). */
  blobs: Digest[];
  /** Manifests of an index or manifest list, which the repository must hold. */
  manifests: Digest[];
  subject?: Digest;
  /** For referrers: `artifactType`, else (image manifests) the config's media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

const IMAGE_TYPES: ReadonlySet<string> = new Set([OciMediaType.manifest, DockerMediaType.manifest]);
const INDEX_TYPES: ReadonlySet<string> = new Set([OciMediaType.index, DockerMediaType.manifestList]);

/** Media types a manifest PUT may carry. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [...IMAGE_TYPES, ...INDEX_TYPES];

type Json = Record<string, unknown>;

/**
 * Parses and validates a manifest body against its Content-Type
 * (image-spec `manifest.md` / `image-index.md`, Docker manifest v2 schema 2).
 * Throws MANIFEST_INVALID with the reason.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  const json = parseJsonObject(bytes);
  const mediaType = effectiveMediaType(json, contentType);
  if (json['schemaVersion'] !== 2) throw invalid('schemaVersion must be 2');
  const parsed = IMAGE_TYPES.has(mediaType) ? parseImageManifest(json) : parseIndex(json);
  const subject = json['subject'] === undefined ? undefined : descriptorDigest(json['subject'], 'subject');
  const annotations = stringMap(json['annotations'], 'annotations');
  return {
    mediaType,
    ...parsed,
    ...(subject ? { subject } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

function parseJsonObject(bytes: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`manifest is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw invalid('manifest must be a JSON object');
  return value;
}

// The body's mediaType, when present, must agree with Content-Type (image-spec:
// "the descriptor's mediaType ... MUST match"); without either we guess by shape.
function effectiveMediaType(json: Json, contentType: string | undefined): string {
  const header = contentType?.split(';')[0]?.trim();
  const body = typeof json['mediaType'] === 'string' ? json['mediaType'] : undefined;
  const known = (type: string | undefined) => type !== undefined && MANIFEST_MEDIA_TYPES.includes(type);
  if (known(header) && body !== undefined && body !== header) {
    throw invalid(`mediaType ${body} does not match Content-Type ${header}`);
  }
  const chosen = known(header) ? header : known(body) ? body : undefined;
  if (chosen) return chosen;
  if (body !== undefined || (header !== undefined && header !== '' && !isGenericJson(header))) {
    throw invalid(`unsupported manifest media type ${body ?? header}`);
  }
  return Array.isArray(json['manifests']) ? OciMediaType.index : OciMediaType.manifest;
}

const isGenericJson = (type: string) => type === 'application/json' || type === 'application/octet-stream';

function parseImageManifest(json: Json): Pick<ParsedManifest, 'blobs' | 'manifests' | 'artifactType'> {
  const config = descriptor(json['config'], 'config');
  if (!Array.isArray(json['layers'])) throw invalid('layers must be an array');
  const blobs: Digest[] = [config.digest];
  json['layers'].forEach((layer, index) => {
    const parsed = descriptor(layer, `layers[${index}]`);
    // Foreign (non-distributable) layers with URLs are fetched elsewhere.
    if (!(isForeignLayerMediaType(parsed.mediaType) && parsed.hasUrls)) blobs.push(parsed.digest);
  });
  const artifactType = optionalString(json['artifactType'], 'artifactType') ?? config.mediaType;
  return { blobs: unique(blobs), manifests: [], artifactType };
}

function parseIndex(json: Json): Pick<ParsedManifest, 'blobs' | 'manifests' | 'artifactType'> {
  if (!Array.isArray(json['manifests'])) throw invalid('manifests must be an array');
  const manifests = json['manifests'].map((entry, index) => descriptor(entry, `manifests[${index}]`).digest);
  const artifactType = optionalString(json['artifactType'], 'artifactType');
  return { blobs: [], manifests: unique(manifests), ...(artifactType ? { artifactType } : {}) };
}

function descriptor(value: unknown, where: string): { digest: Digest; mediaType: string; hasUrls: boolean } {
  if (!isObject(value)) throw invalid(`${where} must be a descriptor`);
  const mediaType = value['mediaType'];
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType is required`);
  const size = value['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  const urls = value['urls'];
  return {
    digest: descriptorDigest(value, where),
    mediaType,
    hasUrls: Array.isArray(urls) && urls.length > 0,
  };
}

function descriptorDigest(value: unknown, where: string): Digest {
  const digest = isObject(value) ? value['digest'] : undefined;
  if (!isDigest(digest)) throw invalid(`${where}.digest is not a valid sha256 digest`);
  return digest;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${where} must be a string`);
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`${where} must map strings to strings`);
  }
  return value as Record<string, string>;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const unique = <T>(items: T[]): T[] => [...new Set(items)];
const invalid = (reason: string) =>
  registryError('MANIFEST_INVALID', { message: `manifest invalid: ${reason}`, detail: { reason } });
