import { clientBuild } from '../build.js';
import { type ApiClient, CLIENT_API_VERSION } from '../client.js';
import type { CliContext } from '../context.js';
import { renderGoTemplate } from '../format/render.js';

interface ServerVersion {
  Platform?: { Name?: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  BuildTime?: string;
  Experimental?: boolean;
}

/** Go's time.ANSIC layout ("Mon Jan  2 15:04:05 2006") in UTC, as docker prints build times. */
export function ansic(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const day = d.toUTCString().slice(0, 3);
  const month = d.toUTCString().slice(8, 11);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** A "label:\tvalue" line as Go's tabwriter(minwidth 20, padding 1) lays it out. */
function row(indent: string, label: string, value: string): string {
  const cell = `${indent}${label}:`;
  return `${cell.padEnd(Math.max(20, cell.length + 1))}${value}`;
}

function clientSection(ctx: CliContext, apiVersion: string): string[] {
  const build = clientBuild();
  const api =
    apiVersion === CLIENT_API_VERSION ? apiVersion : `${apiVersion} (downgraded from ${CLIENT_API_VERSION})`;
  return [
    'Client: Berth',
    row(' ', 'Version', build.version),
    row(' ', 'API version', api),
    row(' ', 'Go version', `node${process.versions.node}`),
    row(' ', 'Git commit', build.gitCommit),
    row(' ', 'Built', ansic(build.buildTime)),
    row(' ', 'OS/Arch', `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`),
    row(' ', 'Context', ctx.contextName),
  ];
}

function serverSection(v: ServerVersion): string[] {
  const lines = ['', `Server:${v.Platform?.Name ? ` ${v.Platform.Name}` : ''}`];
  const components = v.Components?.length
    ? v.Components
    : [{ Name: 'Engine', Version: v.Version, Details: { ApiVersion: v.ApiVersion } }];
  for (const c of components) {
    lines.push(` ${c.Name}:`);
    const d = c.Details ?? {};
    if (c.Name === 'Engine') {
      lines.push(
        row('  ', 'Version', c.Version),
        row(
          '  ',
          'API version',
          `${d.ApiVersion ?? v.ApiVersion} (minimum version ${d.MinAPIVersion ?? ''})`,
        ),
        row('  ', 'Go version', d.GoVersion ?? ''),
        row('  ', 'Git commit', d.GitCommit ?? ''),
        row('  ', 'Built', ansic(d.BuildTime ?? '')),
        row('  ', 'OS/Arch', `${d.Os ?? ''}/${d.Arch ?? ''}`),
        row('  ', 'Experimental', d.Experimental ?? 'false'),
      );
    } else {
      lines.push(row('  ', 'Version', c.Version));
      for (const key of Object.keys(d).sort()) lines.push(row('  ', key, d[key] ?? ''));
    }
  }
  return lines;
}

export async function versionCommand(ctx: CliContext, opts: { format?: string }): Promise<number> {
  const client: ApiClient = ctx.client();
  let server: ServerVersion | undefined;
  let failure: Error | undefined;
  try {
    server = await client.json<ServerVersion>('GET', '/version');
  } catch (err) {
    failure = err as Error;
  }
  if (opts.format) {
    const data = {
      Client: { Version: clientBuild().version, ApiVersion: client.apiVersion, Context: ctx.contextName },
      Server: server ?? null,
    };
    ctx.out(renderGoTemplate(opts.format, data));
  } else {
    const lines = clientSection(ctx, client.apiVersion);
    if (server) lines.push(...serverSection(server));
    ctx.out(`${lines.join('\n')}\n`);
  }
  if (failure) throw failure;
  return 0;
}
