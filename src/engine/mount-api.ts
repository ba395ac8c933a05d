import { invalidArgument } from '../core/errors.js';
import type { BindPropagation, MountSpec } from '../volumes/index.js';

/** One HostConfig.Mounts entry, as the Docker CLI sends `--mount` (API 1.45 Mount). */
interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/** Maps an API Mount object onto the volume module's MountSpec, with dockerd's validation messages. */
export function mountSpecFromApi(raw: unknown): MountSpec {
  const m = (raw ?? {}) as ApiMount;
  const type = m.Type;
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs')
    throw invalidArgument(`invalid mount config for type "${type ?? ''}": mount type unknown`);
  if (!m.Target)
    throw invalidArgument(`invalid mount config for type "${type}": field Target must not be empty`);
  if (!m.Target.startsWith('/'))
    throw invalidArgument(
      `invalid mount config for type "${type}": invalid mount path: '${m.Target}' mount path must be absolute`,
    );
  const spec: MountSpec = { type, source: m.Source ?? '', target: m.Target, readOnly: m.ReadOnly ?? false };
  if (type === 'bind') {
    if (!spec.source)
      throw invalidArgument('invalid mount config for type "bind": field Source must not be empty');
    if (m.BindOptions?.Propagation) spec.propagation = m.BindOptions.Propagation as BindPropagation;
    if (m.BindOptions?.NonRecursive) spec.nonRecursive = true;
  }
  if (type === 'volume') {
    const v = m.VolumeOptions;
    if (v?.NoCopy) spec.noCopy = true;
    if (v?.Labels) spec.volumeLabels = v.Labels;
    if (v?.DriverConfig?.Options) spec.volumeOptions = v.DriverConfig.Options;
    if (v?.DriverConfig?.Name) spec.volumeDriver = v.DriverConfig.Name;
  }
  if (type === 'tmpfs') {
    if (spec.source)
      throw invalidArgument('invalid mount config for type "tmpfs": field Source must not be specified');
    if (m.TmpfsOptions?.SizeBytes) spec.tmpfsSize = m.TmpfsOptions.SizeBytes;
    if (m.TmpfsOptions?.Mode) spec.tmpfsMode = m.TmpfsOptions.Mode;
  }
  return spec;
}
