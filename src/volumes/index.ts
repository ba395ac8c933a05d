/**
 * The volume module: named and anonymous volumes of the local driver, their
 * users and mounts, copy-up from the image, and the parsing of `-v`,
 * `--mount` and `--tmpfs` into OCI mount entries. docs/volumes.md has more.
 */
export { parseMountSpec, parseTmpfsSpec, parseVolumeSpec } from './mount-spec.js';
export { toOciMount } from './oci-mounts.js';
export { VolumeService, type VolumeServiceOptions } from './service.js';
export {
  ANONYMOUS_LABEL,
  type BindPropagation,
  type MountSpec,
  type MountType,
  type OciMount,
  type Volume,
  type VolumeCreateRequest,
  type VolumeFilters,
  type VolumeRecord,
} from './types.js';
