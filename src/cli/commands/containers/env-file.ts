/** docker's --env-file and --label-file (opts.ParseEnvFile / ParseLabelFile). */
import { readFile } from 'node:fs/promises';
import { goFsError } from '../../errors.js';

/**
 * Lines of KEY=VALUE; a KEY alone takes its value from our environment (and
 * is dropped when unset, for env files); blank lines and # comments are
 * skipped; a name with whitespace is an error in docker's words.
 */
export async function parseKeyValueFile(path: string, fromEnv: boolean): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw goFsError(err);
  }
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (name === '') throw new Error(`invalid variable name on line ${index + 1}: ${raw}`);
    if (/\s/.test(name)) throw new Error(`variable '${name}' contains whitespaces`);
    if (eq >= 0) out.push(`${name}${line.slice(eq)}`);
    else if (!fromEnv) out.push(name);
    else if (process.env[name] !== undefined) out.push(`${name}=${process.env[name]}`);
  });
  return out;
}

/** -e values: KEY=VALUE as is; a bare KEY takes our environment's value, or stays bare (docker's ValidateEnv). */
export function expandEnv(entries: readonly string[]): string[] {
  return entries.map((e) => (e.includes('=') || process.env[e] === undefined ? e : `${e}=${process.env[e]}`));
}
