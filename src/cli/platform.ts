/**
 * `--platform os[/arch[/variant]]` values, normalised as containerd's
 * platforms.Parse does for the common spellings, and encoded as the Engine
 * API takes them for save and load (a JSON OCI platform object).
 */

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
};

/** An OCI platform, with Go's field order for JSON. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** Parses "linux/amd64", "linux/arm64/v8" or "linux"; throws on an empty or malformed value. */
export function parsePlatform(text: string): Platform {
  const parts = text.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new Error(`"${text}": unknown operating system or architecture: invalid argument`);
  }
  const [os = 'linux', arch = process.arch === 'x64' ? 'amd64' : process.arch, variant] = parts;
  const architecture = ARCH_ALIASES[arch] ?? arch;
  return variant ? { architecture, os, variant } : { architecture, os };
}

/** The JSON the save and load endpoints take in their platform parameter. */
export function encodePlatform(text: string): string {
  return JSON.stringify(parsePlatform(text));
}
