/**
 * A small leveled logger writing logfmt lines like dockerd's
 * (`time="…" level=info msg="…" key=value`). It is passed down explicitly;
 * there is no global instance.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export const LOG_LEVELS = Object.keys(LEVELS) as LogLevel[];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  with(fields: Record<string, unknown>): Logger;
  setLevel(level: LogLevel): void;
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LEVELS, value);
}

function quote(value: unknown): string {
  const text =
    value instanceof Error ? value.message : typeof value === 'string' ? value : JSON.stringify(value);
  return /^[A-Za-z0-9_./:@-]+$/.test(text ?? '') ? (text ?? '') : JSON.stringify(text ?? '');
}

export function createLogger(options: {
  level?: LogLevel;
  write?: (line: string) => void;
  fields?: Record<string, unknown>;
}): Logger {
  const state = { level: LEVELS[options.level ?? 'info'] };
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const make = (base: Record<string, unknown>): Logger => {
    const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
      if (LEVELS[level] < state.level) return;
      let line = `time="${new Date().toISOString()}" level=${level === 'warn' ? 'warning' : level} msg=${JSON.stringify(msg)}`;
      for (const [key, value] of Object.entries({ ...base, ...fields })) {
        if (value !== undefined) line += ` ${key}=${quote(value)}`;
      }
      write(`${line}\n`);
    };
    return {
      debug: (msg, fields) => log('debug', msg, fields),
      info: (msg, fields) => log('info', msg, fields),
      warn: (msg, fields) => log('warn', msg, fields),
      error: (msg, fields) => log('error', msg, fields),
      with: (fields) => make({ ...base, ...fields }),
      setLevel: (level) => {
        state.level = LEVELS[level];
      },
    };
  };
  return make(options.fields ?? {});
}

/** A logger that drops everything, for tests and tools. */
export const silentLogger: Logger = createLogger({ level: 'fatal', write: () => {} });
