/**
 * What bootstrapping needs from the machine it runs on: programs (installed
 * with apt when missing), the Debian mirror apt is configured with, and
 * children whose output goes to the user's stderr.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { CliContext } from '../../context.js';

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The first executable named `name` on PATH or in the system directories. */
export async function findProgram(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_PATH];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/** Runs a program to completion; its output goes to stderr unless captured. Rejects on failure. */
export function runProgram(
  file: string,
  args: readonly string[],
  options: { capture?: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', options.capture ? 'pipe' : process.stderr, process.stderr],
      env: options.env ?? process.env,
      signal: options.signal,
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${file} ${args.join(' ')} failed (${signal ?? `exit status ${code}`})`));
    });
  });
}

/**
 * Installs a Debian package with apt (after `apt-get update`) when a program
 * it provides is missing, and returns the program's path.
 */
export async function requireProgram(ctx: CliContext, name: string, aptPackage: string): Promise<string> {
  const found = await findProgram(name);
  if (found) return found;
  const apt = await findProgram('apt-get');
  if (!apt)
    throw new Error(`${name} is not installed, and there is no apt-get to install ${aptPackage} with`);
  ctx.err(`${name} is missing: installing the Debian package ${aptPackage}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runProgram(apt, ['update', '-qq'], { env });
  await runProgram(apt, ['install', '-y', '-qq', '--no-install-recommends', aptPackage], { env });
  const installed = await findProgram(name);
  if (!installed) throw new Error(`installing ${aptPackage} did not provide ${name}`);
  return installed;
}

/** One apt source: its archive URI and suites. */
interface AptSource {
  readonly uri: string;
  readonly suites: readonly string[];
}

/** Parses one-line (`deb URI suite comp…`) and deb822 (`URIs:`/`Suites:`) apt sources. */
export function parseAptSources(text: string, deb822: boolean): AptSource[] {
  if (!deb822) {
    return text
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .map((line) => /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ uri: m[1]!, suites: [m[2]!] }));
  }
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) =>
      new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza.replace(/^#.*$/gm, ''))?.[1]?.trim().split(/\s+/) ??
      [];
    if (field('Types').length && !field('Types').includes('deb')) continue;
    if (field('Enabled')[0]?.toLowerCase() === 'no') continue;
    for (const uri of field('URIs')) sources.push({ uri, suites: field('Suites') });
  }
  return sources;
}

/** Every apt source configured on this machine. */
async function aptSources(): Promise<AptSource[]> {
  const sources: AptSource[] = [];
  const read = (path: string) => readFile(path, 'utf8').catch(() => '');
  sources.push(...parseAptSources(await read('/etc/apt/sources.list'), false));
  const dir = '/etc/apt/sources.list.d';
  for (const name of (await readdir(dir).catch(() => [])).sort()) {
    if (name.endsWith('.list')) sources.push(...parseAptSources(await read(join(dir, name)), false));
    if (name.endsWith('.sources')) sources.push(...parseAptSources(await read(join(dir, name)), true));
  }
  return sources;
}

/**
 * The Debian archive apt uses here for a suite: a source listing the suite
 * itself, else a Debian archive listing any plain suite (not -security/-updates).
 */
export async function debianMirror(suite: string): Promise<string | undefined> {
  const sources = await aptSources();
  const plain = (s: string) => !/-(security|updates|backports|proposed-updates)$|\//.test(s);
  const match =
    sources.find((s) => s.suites.includes(suite)) ??
    sources.find((s) => s.suites.some(plain) && /\/debian\/?$/.test(s.uri));
  return match?.uri;
}
