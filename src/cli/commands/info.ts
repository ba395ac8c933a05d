import { formatBytesBinary } from '../../core/units.js';
import { clientBuild } from '../build.js';
import type { CliContext } from '../context.js';
import { renderGoTemplate } from '../format/render.js';

type Info = Record<string, unknown> & {
  DriverStatus?: [string, string][];
  Plugins?: { Volume?: string[]; Network?: string[]; Authorization?: string[] | null; Log?: string[] };
  Swarm?: { LocalNodeState?: string };
  Runtimes?: Record<string, unknown>;
  SecurityOptions?: string[];
  Labels?: string[];
  RegistryConfig?: {
    InsecureRegistryCIDRs?: string[];
    IndexConfigs?: Record<string, { Name: string; Secure: boolean }>;
    Mirrors?: string[];
  };
  DefaultAddressPools?: { Base: string; Size: number }[];
  Warnings?: string[];
  ContainerdCommit?: { ID?: string };
  RuncCommit?: { ID?: string };
  InitCommit?: { ID?: string };
};

/** Go's fmt.Println of several operands: joined by spaces. */
const ln = (...parts: unknown[]) =>
  `${parts.map((p) => (p === undefined || p === null ? '' : String(p))).join(' ')}`;

function nonEmpty(lines: string[], label: string, value: unknown): void {
  if (value !== undefined && value !== null && value !== '') lines.push(ln(label, value));
}

/** Security options arrive as "name=seccomp,profile=builtin". */
function securityLines(options: string[]): string[] {
  const lines = [' Security Options:'];
  for (const option of options) {
    const kv = Object.fromEntries(option.split(',').map((p) => p.split('=') as [string, string]));
    lines.push(`  ${kv.name ?? option}`);
    if (kv.profile) lines.push(ln('   Profile:', kv.profile));
  }
  return lines;
}

function registryLines(info: Info): string[] {
  const lines: string[] = [];
  const reg = info.RegistryConfig;
  if (
    reg &&
    ((reg.InsecureRegistryCIDRs?.length ?? 0) > 0 || Object.keys(reg.IndexConfigs ?? {}).length > 0)
  ) {
    lines.push(' Insecure Registries:');
    for (const cfg of Object.values(reg.IndexConfigs ?? {})) if (!cfg.Secure) lines.push(`  ${cfg.Name}`);
    for (const cidr of reg.InsecureRegistryCIDRs ?? []) lines.push(`  ${cidr}`);
  }
  if (reg?.Mirrors?.length) lines.push(' Registry Mirrors:', ...reg.Mirrors.map((m) => `  ${m}`));
  return lines;
}

/** The Server section exactly as `docker info` lays it out. */
export function formatServerInfo(info: Info, clientDebug: boolean): string[] {
  const l: string[] = [];
  l.push(ln(' Containers:', info.Containers), ln('  Running:', info.ContainersRunning));
  l.push(ln('  Paused:', info.ContainersPaused), ln('  Stopped:', info.ContainersStopped));
  l.push(ln(' Images:', info.Images));
  nonEmpty(l, ' Server Version:', info.ServerVersion);
  nonEmpty(l, ' Storage Driver:', info.Driver);
  for (const [k, v] of info.DriverStatus ?? []) l.push(`  ${k}: ${v}`);
  nonEmpty(l, ' Logging Driver:', info.LoggingDriver);
  nonEmpty(l, ' Cgroup Driver:', info.CgroupDriver);
  nonEmpty(l, ' Cgroup Version:', info.CgroupVersion);
  l.push(' Plugins:', ln('  Volume:', (info.Plugins?.Volume ?? []).join(' ')));
  l.push(ln('  Network:', (info.Plugins?.Network ?? []).join(' ')));
  if (info.Plugins?.Authorization?.length)
    l.push(ln('  Authorization:', info.Plugins.Authorization.join(' ')));
  l.push(ln('  Log:', (info.Plugins?.Log ?? []).join(' ')));
  l.push(ln(' Swarm:', info.Swarm?.LocalNodeState ?? ''));
  const runtimes = Object.keys(info.Runtimes ?? {}).sort();
  if (runtimes.length)
    l.push(ln(' Runtimes:', runtimes.join(' ')), ln(' Default Runtime:', info.DefaultRuntime));
  if (info.OSType === 'linux') {
    l.push(ln(' Init Binary:', info.InitBinary), ln(' containerd version:', info.ContainerdCommit?.ID ?? ''));
    l.push(ln(' runc version:', info.RuncCommit?.ID ?? ''), ln(' init version:', info.InitCommit?.ID ?? ''));
    if (info.SecurityOptions?.length) l.push(...securityLines(info.SecurityOptions));
  }
  nonEmpty(l, ' Kernel Version:', info.KernelVersion);
  nonEmpty(l, ' Operating System:', info.OperatingSystem);
  nonEmpty(l, ' OSType:', info.OSType);
  nonEmpty(l, ' Architecture:', info.Architecture);
  l.push(ln(' CPUs:', info.NCPU), ln(' Total Memory:', formatBytesBinary(Number(info.MemTotal ?? 0))));
  nonEmpty(l, ' Name:', info.Name);
  nonEmpty(l, ' ID:', info.ID);
  l.push(ln(' Docker Root Dir:', info.DockerRootDir), ln(' Debug Mode:', info.Debug));
  if (info.Debug || clientDebug) {
    l.push(ln('  File Descriptors:', info.NFd), ln('  Goroutines:', info.NGoroutines));
    l.push(ln('  System Time:', info.SystemTime), ln('  EventsListeners:', info.NEventsListener));
  }
  nonEmpty(l, ' HTTP Proxy:', info.HttpProxy);
  nonEmpty(l, ' HTTPS Proxy:', info.HttpsProxy);
  nonEmpty(l, ' No Proxy:', info.NoProxy);
  if (info.Labels?.length) l.push(' Labels:', ...info.Labels.map((x) => `  ${x}`));
  l.push(ln(' Experimental:', info.ExperimentalBuild));
  l.push(...registryLines(info));
  l.push(ln(' Live Restore Enabled:', info.LiveRestoreEnabled));
  if (info.DefaultAddressPools?.length) {
    l.push(
      ' Default Address Pools:',
      ...info.DefaultAddressPools.map((p) => `   Base: ${p.Base}, Size: ${p.Size}`),
    );
  }
  return l;
}

export async function infoCommand(ctx: CliContext, opts: { format?: string }): Promise<number> {
  let info: Info | undefined;
  let failure: Error | undefined;
  try {
    info = await ctx.client().json<Info>('GET', '/info');
  } catch (err) {
    failure = err as Error;
  }
  if (opts.format) {
    if (failure) throw failure;
    ctx.out(renderGoTemplate(opts.format, info));
    return 0;
  }
  const lines = ['Client: Berth', ln(' Version:   ', clientBuild().version)];
  lines.push(ln(' Context:   ', ctx.contextName), ln(' Debug Mode:', ctx.debug), '', 'Server:');
  if (info) lines.push(...formatServerInfo(info, ctx.debug), '');
  ctx.out(`${lines.join('\n')}\n`);
  if (failure) {
    ctx.err(`ERROR: ${failure.message}\n`);
    return 1;
  }
  for (const w of info?.Warnings ?? []) ctx.err(`${w}\n`);
  return 0;
}
