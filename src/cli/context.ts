import { ApiClient } from './client.js';
import type { Endpoint } from './hosts.js';

/** What every command gets: the daemon client (made on first use) and the output streams. */
export interface CliContext {
  contextName: string;
  endpoint: Endpoint;
  debug: boolean;
  client(): ApiClient;
  out(text: string): void;
  err(text: string): void;
}

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
  };
}
