/**
 * OCI runtime spec generation: Docker's create request and image config in,
 * config.json out, with Docker's defaults (capabilities, seccomp, masked
 * paths, mounts, devices, namespaces, cgroups).
 */
export { CAPABILITY_NAMES, capabilitiesFromMask, DEFAULT_CAPABILITIES } from './capabilities.js';
export { CONTAINER_INIT_PATH, type ContainerCommand, resolveCommand } from './command.js';
export { DEFAULT_PATH_ENV } from './env.js';
export { type ExecRequest, execProcess } from './exec.js';
export { checkRequest, type GeneratedSpec, generateSpec } from './generate.js';
export {
  type CgroupDriver,
  type ContainerDefaults,
  cgroupnsDefault,
  findInitBinary,
  readSpecHost,
  type SpecHost,
} from './host.js';
export { DEFAULT_SHM_SIZE } from './mounts.js';
export * from './oci.js';
export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './paths.js';
export * from './request.js';
export { cgroupsPathFor } from './resources.js';
export { parseProcLimits } from './rlimits.js';
