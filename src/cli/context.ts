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

/** Where commands' text goes: the process's standard streams, unless the warm-up silences them. */
interface TextSink {
  out(text: string): void;
  err(text: string): void;
}

const standardStreams: TextSink = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

let sink = standardStreams;

/**
 * Drops what commands print (ctx.out, ctx.err) until the returned function
 * is called: the start-up snapshot's warm-up runs commands that print, and
 * must not touch the standard streams (warm-up.ts).
 */
export function silenceOutput(): () => void {
  sink = { out: () => undefined, err: () => undefined };
  return () => {
    sink = standardStreams;
  };
}

/** The context for one command run against an endpoint, on the process's streams (with `early`, that client). */
export function createContext(endpoint: Endpoint, debug: boolean, early?: ApiClient): CliContext {
  let client = early;
  return {
    contextName: 'default',
    endpoint,
    debug,
    client: () => {
      client ??= new ApiClient(endpoint);
      return client;
    },
    out: (text) => sink.out(text),
    err: (text) => sink.err(text),
    // Node makes process.stdin and process.stdout on first access, loading
    // tty or net for them: only commands that use them pay for that.
    stdin: {
      get stream() {
        return process.stdin;
      },
      get isTerminal() {
        return isatty(0);
      },
    },
    stdout: {
      get stream() {
        return process.stdout;
      },
      get isTerminal() {
        return process.stdout.isTTY === true;
      },
      get columns() {
        return process.stdout.isTTY ? process.stdout.columns : undefined;
      },
    },
  };
}
