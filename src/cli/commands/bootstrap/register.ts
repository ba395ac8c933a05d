/**
 * `berth bootstrap busybox` and `berth bootstrap debian:SUITE`: base images
 * built on this machine, for when no registry can be reached. The root
 * filesystem is imported through POST /images/create?fromSrc=-, so any
 * Engine API daemon (Berth or Docker) receives it; the new image's ID is
 * printed.
 */
import type { Command } from 'commander';
import { familiarName, parseNormalizedNamed } from '../../../images/reference.js';
import type { CommandSpec, Registrar } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { interruptible } from '../../interrupt.js';
import { importImage } from '../images/import.js';
import { busyboxRootfs } from './busybox.js';
import { debianRootfs } from './debian.js';

/** The suite `debian` means without a tag. */
const DEFAULT_SUITE = 'bookworm';

/** The flags of `berth bootstrap`. */
export interface BootstrapOptions {
  mirror?: string;
}

async function bootstrapBusybox(ctx: CliContext, tag: string): Promise<void> {
  const body = await busyboxRootfs(ctx);
  await importImage(ctx, { fromSrc: '-', body, reference: `busybox:${tag}`, changes: ['CMD ["sh"]'] });
}

async function bootstrapDebian(
  ctx: CliContext,
  tag: string,
  mirror: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const suite = tag === 'latest' ? DEFAULT_SUITE : tag;
  const rootfs = await debianRootfs(ctx, suite, mirror, signal);
  const tarFinished = rootfs.done.then(
    () => undefined,
    (err: unknown) => err,
  );
  try {
    await importImage(ctx, {
      fromSrc: '-',
      body: rootfs.tar,
      reference: `debian:${tag}`,
      changes: ['CMD ["bash"]'],
      signal,
    });
    const tarError = await tarFinished;
    if (tarError) throw tarError;
  } finally {
    await rootfs.dispose();
  }
}

async function runBootstrap(ctx: CliContext, image: string, opts: BootstrapOptions): Promise<number> {
  const ref = parseNormalizedNamed(image);
  const name = familiarName(ref);
  const tag = ref.tag ?? 'latest';
  const started = Date.now();
  if (name === 'busybox') await bootstrapBusybox(ctx, tag);
  else if (name === 'debian') await interruptible((signal) => bootstrapDebian(ctx, tag, opts.mirror, signal));
  else throw new Error(`cannot bootstrap "${image}": the base images are busybox[:TAG] and debian:SUITE`);
  ctx.err(`Bootstrapped ${name}:${tag} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return 0;
}

/** The bootstrap command. */
export const bootstrapSpec: CommandSpec<BootstrapOptions> = {
  name: 'bootstrap',
  usage: '[OPTIONS] busybox[:TAG]|debian:SUITE',
  description: 'Build a base image on this machine (busybox from busybox-static, Debian with debootstrap)',
  args: { exact: 1 },
  options: (cmd) => {
    cmd.option('--mirror <url>', 'Debian archive for debootstrap (default: the one apt uses here)');
  },
  run: (ctx, args, opts) => runBootstrap(ctx, args[0]!, opts),
};

/** Adds `bootstrap` to the program. */
export function registerBootstrapCommands(program: Command, registrar: Registrar): void {
  registrar.add(program, bootstrapSpec);
}
