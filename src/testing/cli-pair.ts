/**
 * Runs berth and the real Docker CLI side by side against one daemon, for
 * tests that compare their output byte for byte.
 */
import { existsSync } from 'node:fs';
import { bin } from './paths.js';
import { type RunResult, runCommand } from './run.js';

/** The two CLIs, pointed at one daemon. */
export interface CliPair {
  berth(...args: string[]): Promise<RunResult>;
  docker(...args: string[]): Promise<RunResult>;
  /** berth with bytes on its stdin. */
  berthWithInput(input: string | Buffer, ...args: string[]): Promise<RunResult>;
  /** berth's argv prefix (program, -H host) for shell pipelines. */
  readonly berthCommand: readonly string[];
  /** Both at once, so relative times ("2 hours ago") are read at the same moment. */
  both(...args: string[]): Promise<[RunResult, RunResult]>;
  /** Runs a command line under a pseudo-terminal (util-linux script); undefined without script. */
  onTerminal(
    cli: 'berth' | 'docker',
    args: readonly string[],
    columns?: number,
  ): Promise<RunResult> | undefined;
}

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));

/** Quotes a word for sh. */
const shellQuote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/** docker's messages name docker; berth's name berth. */
export const asBerth = (text: string) => text.replace(/\bdocker\b/g, 'berth');

/** Pairs berth with the Docker CLI at dockerPath, both talking to host. */
export function cliPair(host: string, dockerPath: string): CliPair {
  const programs = { berth: bin('berth'), docker: dockerPath };
  const berth = (...args: string[]) => runCommand(programs.berth, ['-H', host, ...args]);
  const docker = (...args: string[]) => runCommand(programs.docker, ['-H', host, ...args]);
  return {
    berth,
    docker,
    berthWithInput: (input, ...args) =>
      runCommand(programs.berth, ['-H', host, ...args], { input, timeoutMs: 20 * 60_000 }),
    berthCommand: [programs.berth, '-H', host],
    both: (...args) => Promise.all([berth(...args), docker(...args)]),
    onTerminal: (cli, args, columns = 0) => {
      if (!SCRIPT) return undefined;
      const line = [programs[cli], '-H', host, ...args].map(shellQuote).join(' ');
      const sized = columns > 0 ? `stty cols ${columns}; ${line}` : line;
      return runCommand(SCRIPT, ['-qec', sized, '/dev/null'], { input: '' });
    },
  };
}
