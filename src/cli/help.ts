/**
 * Help text laid out like docker's: usage line, description, subcommands by
 * name, options as "-a, --all" or "    --digests" with the value name.
 */
import type { Command, Help, Option } from 'commander';
import { commandPath, useLine } from './usage-errors.js';

/** "-f, --filter filter", "    --digests": pflag's flag column. */
function optionTerm(option: Option): string {
  const value = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1]?.replace(/\.\.\.$/, '');
  const names = option.short ? `${option.short}, ${option.long}` : `    ${option.long}`;
  return value ? `${names} ${value}` : names;
}

/** Aligns two columns with docker's spacing and wraps nothing. */
function columns(rows: readonly [string, string][], indent: string): string[] {
  const width = Math.max(0, ...rows.map(([term]) => term.length));
  return rows.map(([term, text]) => {
    const [first = '', ...rest] = text.split('\n');
    const pad = `${indent}${' '.repeat(width + 3)}`;
    return [`${indent}${term.padEnd(width)}   ${first}`, ...rest.map((line) => pad + line)].join('\n');
  });
}

/** The whole help of a command. */
export function formatHelp(cmd: Command, helper: Help): string {
  const lines = [`Usage:  ${useLine(cmd)}`, ''];
  if (cmd.description()) lines.push(cmd.description(), '');
  if (cmd.aliases().length > 0) {
    const parent = cmd.parent ? `${commandPath(cmd.parent)} ` : '';
    lines.push('Aliases:', `  ${[cmd.name(), ...cmd.aliases()].map((n) => parent + n).join(', ')}`, '');
  }
  const subcommands = helper.visibleCommands(cmd).filter((sub) => sub.name() !== 'help');
  if (subcommands.length > 0) {
    const rows = subcommands
      .map((sub): [string, string] => [sub.name(), sub.description()])
      .sort(([a], [b]) => (a < b ? -1 : 1));
    lines.push('Commands:', ...columns(rows, '  '), '');
  }
  const options = helper.visibleOptions(cmd).filter((o) => o.long !== '--help');
  if (options.length > 0) {
    // pflag lists a command's flags sorted by name, as docker's help shows them.
    const sorted = cmd.parent ? [...options].sort((a, b) => (flagName(a) < flagName(b) ? -1 : 1)) : options;
    const rows = sorted.map((o): [string, string] => [optionTerm(o), o.description]);
    lines.push(cmd.parent ? 'Options:' : 'Global Options:', ...columns(rows, '  '), '');
  }
  if (subcommands.length > 0) {
    lines.push(`Run '${commandPath(cmd)} COMMAND --help' for more information on a command.`);
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** A flag's name as pflag sorts it: the long name without dashes. */
function flagName(option: { long?: string | undefined; short?: string | undefined }): string {
  return (option.long ?? option.short ?? '').replace(/^-+/, '');
}
