/**
 * The runtime module: the {@link Runtime} contract and its implementation on
 * conmon and a runc-compatible OCI runtime, the k8s-file log reader, and
 * runtime detection. docs/runtime.md describes the protocol.
 */
export { connectAttachSocket } from './attach/session.js';
export { type ConmonRuntimeOptions, createConmonRuntime, findExecutable } from './conmon/factory.js';
export { detectRuntimes, type RuntimeChoice, type RuntimeInfo } from './detect.js';
export {
  type LogRecord,
  parseLogLine,
  parseTimestamp,
  type ReadLogOptions,
  readLog,
} from './logs/k8s-file.js';
export { type LogRotation, LogRotator, rotatedLogPaths } from './logs/rotation.js';
export type { OciRuntimeBinary } from './oci-cli.js';
export * from './runtime.js';
