import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { normalizeBoolFlags, Registrar } from './command-spec.js';
import { StatusError } from './errors.js';
import { checkArgs, flagError } from './usage-errors.js';

function imageLs(): Command {
  const program = new Command('berth');
  return program.command('image').command('ls').usage('[OPTIONS] [REPOSITORY[:TAG]]');
}

describe('docker-style argument and flag errors', () => {
  it('words argument counts as cobra does, exiting 1', () => {
    const cmd = imageLs();
    assert.throws(
      () => checkArgs(cmd, { max: 1 }, 2),
      (err: StatusError) =>
        err.exitCode === 1 &&
        err.message ===
          "berth: 'berth image ls' requires at most 1 argument\n\nUsage:  berth image ls [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'berth image ls --help' for more information",
    );
    assert.throws(
      () => checkArgs(cmd, { min: 1 }, 0),
      /requires at least 1 argument\n[\s\S]*\nSee 'berth image ls --help'/,
    );
    assert.throws(() => checkArgs(cmd, { exact: 2 }, 1), /requires 2 arguments/);
    assert.throws(() => checkArgs(cmd, { none: true }, 1), /accepts no arguments/);
    checkArgs(cmd, { max: 1 }, 1);
  });

  it('maps commander parse errors to pflag messages, exiting 125', () => {
    const cmd = imageLs();
    const unknown = flagError(
      cmd,
      new CommanderError(1, 'commander.unknownOption', "error: unknown option '-x'"),
      [],
    );
    assert.ok(unknown instanceof StatusError && unknown.exitCode === 125);
    assert.match(unknown.message, /^unknown shorthand flag: 'x' in -x\n\nUsage: {2}berth image ls /);
    const missing = new CommanderError(
      1,
      'commander.optionMissingArgument',
      "error: option '-o, --output <string>' argument missing",
    );
    assert.match(flagError(cmd, missing, ['save', '-o']).message, /^flag needs an argument: 'o' in -o\n/);
    assert.match(
      flagError(cmd, missing, ['save', '--output']).message,
      /^flag needs an argument: --output\n/,
    );
    const invalid = new CommanderError(
      1,
      'commander.invalidArgument',
      "error: option '-f, --filter <filter>' argument 'bogus' is invalid. bad format of filter (expected name=value)",
    );
    assert.match(
      flagError(cmd, invalid, []).message,
      /^invalid argument "bogus" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n/,
    );
  });
});

describe('Go-style boolean flags', () => {
  it('rewrites --flag=false and -f=true after the command only', () => {
    const registrar = new Registrar(async () => {});
    registrar.add(new Command('berth'), {
      name: 'history',
      usage: '[OPTIONS] IMAGE',
      description: '',
      args: { exact: 1 },
      options: (c, flags) => {
        flags.bool(c, '-H, --human', '', true);
        flags.bool(c, '--no-trunc', '');
      },
      run: async () => 0,
    });
    const global = new Set(['-H', '--host']);
    assert.deepEqual(
      normalizeBoolFlags(
        ['-H', 'unix:///x', 'history', '-H=false', '--human=true', '--no-trunc=false', 'bb'],
        registrar.boolFlags,
        global,
      ),
      ['-H', 'unix:///x', 'history', '--no-human', '--human', 'bb'],
    );
    assert.deepEqual(normalizeBoolFlags(['history', '--no-trunc=1'], registrar.boolFlags, global), [
      'history',
      '--no-trunc',
    ]);
  });
});
