import { readFile } from 'node:fs/promises';

/** What the build recorded about itself (scripts/build-info.mjs writes dist/build-info.json). */
export interface BuildInfo {
  version: string;
  gitCommit: string;
  buildTime: string;
}

export async function readBuildInfo(): Promise<BuildInfo> {
  const url = new URL('../build-info.json', import.meta.url);
  try {
    const parsed = JSON.parse(await readFile(url, 'utf8')) as Partial<BuildInfo>;
    return {
      version: parsed.version ?? '0.0.0-dev',
      gitCommit: parsed.gitCommit ?? 'unknown',
      buildTime: parsed.buildTime ?? '',
    };
  } catch {
    return { version: '0.0.0-dev', gitCommit: 'unknown', buildTime: '' };
  }
}
