/**
 * `berth login [SERVER]` and `berth logout [SERVER]` (cli/command/registry):
 * the daemon checks the credentials against the registry (POST /auth); the
 * client keeps them (see credentials.ts).
 */
import { createInterface } from 'node:readline';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import {
  eraseCredentials,
  getCredentials,
  registryOfServerAddress,
  serverKey,
  storeCredentials,
} from './credentials.js';

interface LoginOptions {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

/** Reads one line from stdin, echoing nothing when `hidden` (a password on a terminal). */
async function prompt(ctx: CliContext, question: string, hidden: boolean): Promise<string> {
  ctx.out(question);
  const input = ctx.stdin.stream;
  const rl = createInterface({ input, terminal: ctx.stdin.isTerminal && hidden, output: undefined });
  if (hidden && ctx.stdin.isTerminal)
    (rl as unknown as { _writeToOutput: () => void })._writeToOutput = () => {};
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (hidden) ctx.out('\n');
  return line;
}

async function readAllStdin(ctx: CliContext): Promise<string> {
  let text = '';
  for await (const chunk of ctx.stdin.stream) text += String(chunk);
  return text.replace(/\r?\n$/, '').replace(/\r$/, '');
}

async function runLogin(ctx: CliContext, args: string[], opts: LoginOptions): Promise<number> {
  if (opts.password !== undefined) {
    ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (opts.passwordStdin) throw new Error('--password and --password-stdin are mutually exclusive');
  }
  let password = opts.password;
  if (opts.passwordStdin) {
    if (!opts.username) throw new Error('Must provide --username with --password-stdin');
    password = await readAllStdin(ctx);
  }
  const registry = registryOfServerAddress(args[0] ?? '');
  const key = serverKey(registry);
  const stored = await getCredentials(registry);
  let username = opts.username?.trim();
  if (!username) {
    if (registry === 'docker.io' && !stored.username) {
      ctx.out(
        "Login with your Docker ID to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com to create one.\n",
      );
    }
    const suggestion = stored.username ? ` (${stored.username})` : '';
    username = (await prompt(ctx, `Username${suggestion}: `, false)).trim() || stored.username || '';
    if (!username) throw new Error('Error: Non-null Username Required');
  }
  if (password === undefined || password === '') {
    password = await prompt(ctx, 'Password: ', true);
    if (!password) throw new Error('Error: Password Required');
  }
  const auth = { username, password, serveraddress: key };
  const result = await ctx
    .client()
    .json<{ Status: string; IdentityToken?: string }>('POST', '/auth', { body: auth });
  const toStore = result.IdentityToken ? { username, identitytoken: result.IdentityToken } : auth;
  const helper = await storeCredentials(registry, toStore);
  if (!helper) {
    ctx.out(
      `\nWARNING! Your password will be stored unencrypted in ${process.env.BERTH_CONFIG || '~/.berth'}/config.json.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n`,
    );
  }
  ctx.out(`${result.Status || 'Login Succeeded'}\n`);
  return 0;
}

async function runLogout(ctx: CliContext, args: string[]): Promise<number> {
  const registry = registryOfServerAddress(args[0] ?? '');
  const key = serverKey(registry);
  if (!(await eraseCredentials(registry))) {
    ctx.out(`Not logged in to ${key}\n`);
    return 0;
  }
  ctx.out(`Removing login credentials for ${key}\n`);
  return 0;
}

export const loginSpec: CommandSpec<LoginOptions> = {
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  description: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
  args: { max: 1 },
  options: (cmd, flags) => {
    cmd.option('-u, --username <string>', 'Username');
    cmd.option('-p, --password <string>', 'Password or Personal Access Token (PAT)');
    flags.bool(cmd, '--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin');
  },
  run: (ctx, args, opts) => runLogin(ctx, args, opts),
};

export const logoutSpec: CommandSpec<Record<string, never>> = {
  name: 'logout',
  usage: '[SERVER]',
  description: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
  args: { max: 1 },
  run: (ctx, args) => runLogout(ctx, args),
};
