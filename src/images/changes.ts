/**
 * `docker import --change` and `docker commit --change`: Dockerfile
 * instructions applied to an image's runtime config, as dockerd's
 * BuildFromConfig applies them. Only the instructions that change the
 * config are allowed.
 */
import { posix } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import type { ContainerConfig } from './config.js';
import { parseHealthcheck } from './healthcheck-change.js';

type Apply = (config: ContainerConfig, args: string, state: { cmdSet: boolean }) => void;

const INSTRUCTIONS: Record<string, Apply> = {
  cmd(config, args, state) {
    config.Cmd = commandOf(args);
    state.cmdSet = true;
  },
  entrypoint(config, args, state) {
    config.Entrypoint = commandOf(args);
    // As in a Dockerfile, ENTRYPOINT resets a CMD that this run did not set.
    if (!state.cmdSet) config.Cmd = null;
  },
  env(config, args) {
    const env = [...(config.Env ?? [])];
    for (const [key, value] of nameValues(args, 'ENV')) {
      const index = env.findIndex((entry) => entry.split('=', 1)[0] === key);
      if (index >= 0) env[index] = `${key}=${value}`;
      else env.push(`${key}=${value}`);
    }
    config.Env = env;
  },
  label(config, args) {
    config.Labels = { ...config.Labels, ...Object.fromEntries(nameValues(args, 'LABEL')) };
  },
  expose(config, args) {
    const ports = { ...config.ExposedPorts };
    for (const spec of words(args)) for (const port of expandPorts(spec)) ports[port] = {};
    config.ExposedPorts = ports;
  },
  user(config, args) {
    config.User = args.trim();
  },
  volume(config, args) {
    const volumes = { ...config.Volumes };
    const list = args.trim().startsWith('[') ? jsonList(args) : words(args);
    if (list.length === 0) throw invalidArgument('VOLUME requires at least one argument');
    for (const volume of list) {
      if (volume.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
      volumes[volume] = {};
    }
    config.Volumes = volumes;
  },
  workdir(config, args) {
    const requested = args.trim();
    if (requested === '') throw invalidArgument('WORKDIR requires exactly one argument');
    config.WorkingDir = requested.startsWith('/')
      ? posix.normalize(requested)
      : posix.join('/', config.WorkingDir || '/', requested);
  },
  onbuild(config, args) {
    config.OnBuild = [...(config.OnBuild ?? []), args.trim()];
  },
  healthcheck(config, args) {
    config.Healthcheck = { ...parseHealthcheck(args) };
  },
};

/**
 * Applies `changes` (one instruction each, e.g. `CMD ["sh"]`, `ENV A=b`) to a
 * copy of `base`. Throws InvalidArgument with dockerd's texts, such as
 * `foo is not a valid change command`.
 */
export function applyChanges(changes: readonly string[], base: ContainerConfig = {}): ContainerConfig {
  const config: ContainerConfig = structuredClone(base);
  const state = { cmdSet: false };
  for (const change of changes) {
    const line = change.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instruction = match[1]!.toLowerCase();
    const apply = INSTRUCTIONS[instruction];
    if (!apply) throw invalidArgument(`${instruction} is not a valid change command`);
    apply(config, match[2]!, state);
  }
  return config;
}

/** Exec form (a JSON list of strings) or shell form, run by `/bin/sh -c`. */
function commandOf(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) {
    try {
      return jsonList(trimmed);
    } catch {
      // Not valid JSON: Docker falls back to the shell form.
    }
  }
  return ['/bin/sh', '-c', trimmed];
}

function jsonList(text: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidArgument(`invalid JSON list: ${text}`);
  }
  return value;
}

/** `KEY=value KEY2="v 2"`, or the legacy `KEY value with spaces`. */
function nameValues(args: string, instruction: string): [string, string][] {
  const list = words(args);
  if (list.length === 0) throw invalidArgument(`${instruction} requires at least one argument`);
  if (!list[0]!.includes('=')) {
    const rest = args
      .trim()
      .slice(args.trim().indexOf(list[0]!) + list[0]!.length)
      .trim();
    if (rest === '') throw invalidArgument(`${instruction} must have two arguments`);
    return [[list[0]!, rest]];
  }
  return list.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw invalidArgument(`Syntax error - can't find = in "${word}". Must be of the form: name=value`);
    }
    if (eq === 0) throw invalidArgument(`${instruction} names can not be blank`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** Splits on blanks outside quotes; quotes are removed and backslash escapes one character. */
function words(text: string): string[] {
  const result: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quote !== "'" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) result.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) result.push(word);
  return result;
}

/** `80` → `80/tcp`; `8000-8002/udp` → three ports. */
function expandPorts(spec: string): string[] {
  const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!match) throw invalidArgument(`invalid containerPort: ${spec}`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (last < first || last > 65535)
    throw invalidArgument(`invalid range specified for container port: ${spec}`);
  const proto = (match[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${proto}`);
}
