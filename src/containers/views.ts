import { humanDuration } from '../core/units.js';
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
export function summaryView(record: ContainerRecord): Record<string, unknown> {
  const settings = record.NetworkSettings as {
    Networks?: Record<string, unknown>;
    Ports?: Record<string, unknown>;
  };
  return {
    Id: record.Id,
    Names: [`/${record.Name}`],
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

/** GET /containers/{id}/json. */
export function inspectView(
  record: ContainerRecord,
  extra: { graphDriverData?: Record<string, string>; execIds?: string[] } = {},
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
    HostConfig: record.HostConfig,
    GraphDriver: { Name: record.Driver, Data: extra.graphDriverData ?? null },
    Mounts: record.Mounts,
    Config: record.Config,
    NetworkSettings: record.NetworkSettings,
  };
}
