/** `berth port` (cli/command/container/port.go): a container's published ports. */
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import { StatusError } from '../../errors.js';

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

export const portSpec: CommandSpec<Record<string, never>> = {
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  args: { min: 1 },
  run: async (ctx, args) => {
    const [ref = '', wanted] = args;
    const info = await ctx
      .client()
      .json<{ NetworkSettings?: { Ports?: PortMap } }>('GET', `/containers/${escapePath(ref)}/json`);
    const ports = info.NetworkSettings?.Ports ?? {};
    const hostPort = (b: { HostIp: string; HostPort: string }) =>
      `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp || '0.0.0.0'}:${b.HostPort}`;
    if (wanted) {
      const key = wanted.includes('/') ? wanted : `${wanted}/tcp`;
      const bindings = ports[key];
      if (!bindings?.length)
        throw new StatusError(`Error: No public port '${wanted}' published for ${ref}`, 1);
      ctx.out(bindings.map((b) => `${hostPort(b)}\n`).join(''));
      return 0;
    }
    const lines = Object.entries(ports)
      .sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
      .flatMap(([key, bindings]) => (bindings ?? []).map((b) => `${key} -> ${hostPort(b)}\n`));
    ctx.out(lines.join(''));
    return 0;
  },
};
