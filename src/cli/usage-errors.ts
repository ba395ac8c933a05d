/**
 * docker's usage errors: wrong argument counts (cobra's Args checks, exit 1)
 * and flag parse errors in pflag's words (exit 125), each with the command's
 * usage line and a pointer to its help.
 */
import type { Command, CommanderError } from 'commander';
import type { ArgRule } from './command-spec.js';
import { StatusError } from './errors.js';

const plural = (n: number) => (n === 1 ? 'argument' : 'arguments');

/** docker's full command path: "berth image ls". */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The usage line docker prints after "Usage:  ". */
export function useLine(cmd: Command): string {
  const usage = cmd.usage();
  return usage ? `${commandPath(cmd)} ${usage}` : commandPath(cmd);
}

/** docker's positional-argument check; the error exits 1. */
export function checkArgs(cmd: Command, rule: ArgRule, count: number): void {
  const path = commandPath(cmd);
  const fail = (what: string, verb = 'Run') => {
    const footer = `\n\nUsage:  ${useLine(cmd)}\n\n${verb} '${path} --help' for more information`;
    throw new StatusError(`berth: '${path}' ${what}${footer}`, 1);
  };
  if ('none' in rule && count > 0) fail('accepts no arguments');
  if ('exact' in rule && count !== rule.exact) fail(`requires ${rule.exact} ${plural(rule.exact)}`);
  if ('min' in rule && count < rule.min) fail(`requires at least ${rule.min} ${plural(rule.min)}`, 'See');
  if ('max' in rule && count > rule.max) fail(`requires at most ${rule.max} ${plural(rule.max)}`);
}

/** pflag's wording of commander's parse errors, with docker's usage footer (exit 125). */
export function flagError(cmd: Command, err: CommanderError, argv: readonly string[]): Error {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return err;
  const flag = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  let message = err.message.replace(/^error: /, '');
  if (err.code === 'commander.unknownOption') {
    message = flag.startsWith('--')
      ? `unknown flag: ${flag}`
      : `unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
  } else if (err.code === 'commander.optionMissingArgument') {
    const short = /(?:^|[ ,])-(\w)\b/.exec(flag)?.[1];
    const long = /--([\w-]+)/.exec(flag)?.[1];
    const typedShort = short !== undefined && argv.at(-1) === `-${short}`;
    message = typedShort
      ? `flag needs an argument: '${short}' in -${short}`
      : `flag needs an argument: --${long}`;
  } else if (err.code === 'commander.invalidArgument') {
    const m = /option '([^']*?)(?: [<[][^']*)?' argument '(.*)' is invalid\. (.*)$/s.exec(message);
    if (m) message = `invalid argument "${m[2]}" for "${m[1]}" flag: ${m[3]}`;
  }
  const footer = `\n\nUsage:  ${useLine(cmd)}\n\nRun '${commandPath(cmd)} --help' for more information`;
  return new StatusError(message + footer, 125);
}
