import type { Readable, Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { ApiClient } from './client.js';
import type { Endpoint } from './hosts.js';

/** An input stream and whether it is a terminal. */
export interface InStream {
  readonly stream: Readable;
  readonly isTerminal: boolean;
}

/** An output stream, whether it is a terminal, and its width in columns when it is. */
export interface OutStream {
  readonly stream: Writable;
  readonly isTerminal: boolean;
  readonly columns: number | undefined;
}

/** What every command gets: the daemon client (made on first use) and the standard streams. */
export interface CliContext {
  contextName: string;
  endpoint: Endpoint;
  debug: boolean;
  client(): ApiClient;
  out(text: string): void;
  err(text: string): void;
  readonly stdin: InStream;
  readonly stdout: OutStream;
}

/** The context for one command run against an endpoint, on the process's streams. */
export function createContext(endpoint: Endpoint, debug: boolean): CliContext {
  let client: ApiClient | undefined;
  return {
    contextName: 'default',
    endpoint,
    debug,
    client: () => {
      client ??= new ApiClient(endpoint);
      return client;
    },
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    // process.stdin is made on first access; only commands that read it touch it.
    stdin: {
      get stream() {
        return process.stdin;
      },
      isTerminal: isatty(0),
    },
    stdout: {
      stream: process.stdout,
      isTerminal: process.stdout.isTTY === true,
      columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    },
  };
}
