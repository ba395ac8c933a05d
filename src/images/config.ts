/**
 * Image configs: the JSON an image ID is the digest of (OCI image-spec
 * `config.md`, Docker's image JSON). Field names follow the JSON exactly;
 * Docker's own extras (`container`, `container_config`, `docker_version`) are
 * kept, since `docker inspect` shows them.
 */
import { type Digest, isDigest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';

/** The runtime defaults of an image: Docker's container.Config as images carry it. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: Record<string, unknown> | null;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
}

/** One step of an image's history. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True when the step made no layer (ENV, CMD …). */
  empty_layer?: boolean;
}

/** An image config as stored in its blob. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  container?: string;
  container_config?: ContainerConfig;
  /** The v1 parent id some builders record; not the local parent image. */
  parent?: string;
  config?: ContainerConfig;
  rootfs: { type: string; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

/**
 * Parses and checks an image config blob: a JSON object whose `rootfs` is of
 * type `layers` with valid diff IDs. Throws InvalidArgument otherwise.
 */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const value = parseJsonObject(bytes, 'image config');
  const rootfs = value['rootfs'] as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || typeof rootfs !== 'object') throw invalidArgument('invalid image config: no rootfs');
  if (rootfs.type !== 'layers') {
    throw invalidArgument(`invalid image config: rootfs type ${JSON.stringify(rootfs.type)} is not "layers"`);
  }
  const diffIds = rootfs.diff_ids ?? [];
  if (!Array.isArray(diffIds) || !diffIds.every(isDigest)) {
    throw invalidArgument('invalid image config: rootfs.diff_ids must be sha256 digests');
  }
  for (const key of ['config', 'container_config'] as const) {
    const section = value[key];
    if (section !== undefined && section !== null && typeof section !== 'object') {
      throw invalidArgument(`invalid image config: ${key} is not an object`);
    }
  }
  if (value['history'] !== undefined && !Array.isArray(value['history'])) {
    throw invalidArgument('invalid image config: history is not a list');
  }
  return value as unknown as ImageConfig;
}

/** Parses a JSON object; anything else (array, scalar, bad JSON) is InvalidArgument. */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`invalid ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(`invalid ${what}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The comment Docker shows for an image: its own, else that of its last history step. */
export function imageComment(config: ImageConfig): string {
  return config.comment || config.history?.at(-1)?.comment || '';
}

/** The image's labels (from its runtime config), never null. */
export function imageLabels(config: ImageConfig): Record<string, string> {
  return config.config?.Labels ?? {};
}
