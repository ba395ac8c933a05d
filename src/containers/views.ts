import { humanDuration } from '../core/units.js';
import type { Mount } from '../snapshots/snapshotter.js';
import type { ContainerRecord, ContainerState } from './record.js';

/** docker ps's Status column: "Up 5 minutes (healthy)", "Exited (0) 3 seconds ago", "Created". */
export function statusText(state: ContainerState, now = Date.now()): string {
  const since = (iso: string) => humanDuration(now - Date.parse(iso));
  switch (state.Status) {
    case 'running': {
      const health =
        state.Health && state.Health.Status !== 'none'
          ? ` (${state.Health.Status === 'starting' ? 'health: starting' : state.Health.Status})`
          : '';
      return `Up ${since(state.StartedAt)}${health}`;
    }
    case 'paused':
      return `Up ${since(state.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      return `Exited (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
    default:
      return 'Created';
  }
}

/** The whole command line as `docker ps` shows it before truncation: dockerd quotes arguments with spaces. */
export function commandLine(record: ContainerRecord): string {
  const args = record.Args.map((arg) => (arg.includes(' ') ? `'${arg}'` : arg));
  return [record.Path, ...args].filter((p) => p !== '').join(' ');
}

/** GET /containers/json item. */
export function summaryView(
  record: ContainerRecord,
  linkNames: readonly string[] = [],
): Record<string, unknown> {
  const settings = record.NetworkSettings as {
    Networks?: Record<string, unknown>;
    Ports?: Record<string, unknown>;
  };
  return {
    Id: record.Id,
    // dockerd lists every name a container has, its links' "/parent/alias" too, sorted.
    Names: [`/${record.Name}`, ...linkNames].sort(),
    Image: record.ImageRef,
    ImageID: record.Image,
    Command: commandLine(record),
    Created: Math.floor(Date.parse(record.Created) / 1000),
    Ports: portList(settings.Ports ?? {}),
    Labels: record.Labels,
    State: record.State.Status,
    Status: statusText(record.State),
    HostConfig: { NetworkMode: (record.HostConfig.NetworkMode as string | undefined) ?? 'default' },
    NetworkSettings: { Networks: settings.Networks ?? {} },
    Mounts: record.Mounts,
  };
}

/** The Ports list of ps from NetworkSettings.Ports ("80/tcp": [{HostIp, HostPort}]). */
function portList(ports: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [spec, bindings] of Object.entries(ports)) {
    const [port, type = 'tcp'] = spec.split('/');
    if (!Array.isArray(bindings) || bindings.length === 0) {
      out.push({ PrivatePort: Number(port), Type: type });
      continue;
    }
    for (const b of bindings as { HostIp?: string; HostPort?: string }[]) {
      out.push({
        IP: b.HostIp || '0.0.0.0',
        PrivatePort: Number(port),
        PublicPort: Number(b.HostPort),
        Type: type,
      });
    }
  }
  return out;
}

/**
 * overlay2's GraphDriver.Data of a container: its image's layer directories
 * (LowerDir, the topmost first), its writable layer (UpperDir, WorkDir) and
 * where its root filesystem is mounted while it runs (MergedDir).
 */
export function graphDriverData(
  mounts: readonly Mount[],
  mergedDir: string,
): Record<string, string> | undefined {
  const first = mounts[0];
  if (!first) return undefined;
  const option = (key: string) => first.options.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);
  const data: Record<string, string> = {};
  const lower = option('lowerdir');
  if (lower) data['LowerDir'] = lower;
  data['MergedDir'] = mergedDir;
  // A snapshot with no image layers below it is a bind mount of its own directory.
  data['UpperDir'] = option('upperdir') ?? first.source;
  const work = option('workdir');
  if (work) data['WorkDir'] = work;
  return data;
}

/** GET /containers/{id}/json. */
export function inspectView(
  record: ContainerRecord,
  extra: { graphDriverData?: Record<string, string>; execIds?: string[]; links?: string[] | null } = {},
): Record<string, unknown> {
  return {
    Id: record.Id,
    Created: record.Created,
    Path: record.Path,
    Args: record.Args,
    State: record.State,
    Image: record.Image,
    ResolvConfPath: record.ResolvConfPath,
    HostnamePath: record.HostnamePath,
    HostsPath: record.HostsPath,
    LogPath: record.LogPath,
    Name: `/${record.Name}`,
    RestartCount: record.RestartCount,
    Driver: record.Driver,
    Platform: record.Platform,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: extra.execIds?.length ? extra.execIds : null,
    // Links as dockerd shows them: "/child:/parent/alias", from the containers as they are now.
    HostConfig: { ...record.HostConfig, Links: extra.links ?? null },
    GraphDriver: { Name: record.Driver, Data: extra.graphDriverData ?? null },
    Mounts: record.Mounts,
    Config: record.Config,
    NetworkSettings: record.NetworkSettings,
  };
}
