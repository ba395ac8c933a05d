/**
 * Byte sizes in docker/go-units' formats, so sizes read and print exactly as
 * the docker CLI and dockerd show them.
 */
import { invalidArgument } from './errors.js';

const DECIMAL_MULTIPLIERS: Readonly<Record<string, number>> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BINARY_MULTIPLIERS: Readonly<Record<string, number>> = {
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
};
const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

// The float syntax Go's strconv.ParseFloat accepts for decimal numbers.
const GO_DECIMAL_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses "10k", "1.5 MB", "32" with SI multipliers of 1000 (go-units FromHumanSize). */
export function parseHumanSize(text: string): number {
  return parseSize(text, DECIMAL_MULTIPLIERS);
}

/** Parses "64m", "1.5GiB", "32" with binary multipliers of 1024 (go-units RAMInBytes). */
export function parseRamSize(text: string): number {
  return parseSize(text, BINARY_MULTIPLIERS);
}

function parseSize(text: string, multipliers: Readonly<Record<string, number>>): number {
  const { num, suffix } = splitNumberAndSuffix(text);
  if (!GO_DECIMAL_FLOAT.test(num)) throw invalidArgument(`invalid size: '${text}'`);
  const size = Number(num);
  if (size < 0) throw invalidArgument(`invalid size: '${text}'`);
  // Adding 0 turns "-0" into 0, as Go's int64 conversion does.
  return Math.trunc(size * suffixMultiplier(suffix, multipliers)) + 0;
}

// One space may separate number and suffix; otherwise the suffix starts after the last digit or dot.
function splitNumberAndSuffix(text: string): { num: string; suffix: string } {
  const space = text.indexOf(' ');
  if (space >= 0) return { num: text.slice(0, space), suffix: text.slice(space + 1) };
  const lastDigit = Math.max(...[...'0123456789.'].map((c) => text.lastIndexOf(c)));
  if (lastDigit < 0) throw invalidArgument(`invalid size: '${text}'`);
  return { num: text.slice(0, lastDigit + 1), suffix: text.slice(lastDigit + 1) };
}

// Accepts "", "b", "k", "kb", "kib" (any case), with k/m/g/t/p from the table.
function suffixMultiplier(suffix: string, multipliers: Readonly<Record<string, number>>): number {
  if (suffix === '') return 1;
  if (suffix.length > 3) throw invalidArgument(`invalid suffix: '${suffix}'`);
  const lower = suffix.toLowerCase();
  if (lower === 'b') return 1;
  const multiplier = multipliers[lower.charAt(0)];
  const rest = lower.slice(1);
  if (multiplier === undefined || (rest !== '' && rest !== 'b' && rest !== 'ib')) {
    throw invalidArgument(`invalid suffix: '${lower}'`);
  }
  return multiplier;
}

/**
 * Decimal size like "1.05MB" or "100B": go-units HumanSizeWithPrecision.
 * The docker CLI's tables use 3 significant digits; go-units' HumanSize uses 4.
 */
export function formatHumanSize(size: number, precision = 3): string {
  const [value, unit] = scaleToUnit(size, 1000, DECIMAL_UNITS);
  return `${formatGoFloat(value, precision)}${unit}`;
}

/** Binary size like "7.773GiB" or "1KiB": go-units BytesSize ("%.4g" with KiB/MiB/GiB). */
export function formatBytesBinary(size: number): string {
  const [value, unit] = scaleToUnit(size, 1024, BINARY_UNITS);
  return `${formatGoFloat(value, 4)}${unit}`;
}

function scaleToUnit(size: number, base: number, units: readonly string[]): [number, string] {
  let value = size;
  let index = 0;
  while (value >= base && index < units.length - 1) {
    value /= base;
    index++;
  }
  return [value, units[index] ?? 'B'];
}

/** Go's fmt "%.<precision>g": fixed or exponent notation, trailing zeros removed. */
export function formatGoFloat(value: number, precision: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  const [mantissa = '', exponentText = '0'] = value.toExponential(precision - 1).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= precision) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${trimFractionZeros(mantissa)}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return trimFractionZeros(value.toPrecision(precision));
}

function trimFractionZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** go-units HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}
