import { readFileSync } from 'node:fs';

export interface ClientBuild {
  version: string;
  gitCommit: string;
  buildTime: string;
}

let cached: ClientBuild | undefined;

/** The build's own record (dist/build-info.json), read once. */
export function clientBuild(): ClientBuild {
  if (cached) return cached;
  try {
    cached = JSON.parse(readFileSync(new URL('../build-info.json', import.meta.url), 'utf8')) as ClientBuild;
  } catch {
    cached = { version: '0.0.0-dev', gitCommit: 'unknown', buildTime: '' };
  }
  return cached;
}
