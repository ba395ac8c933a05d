/**
 * Go's strconv float formatting for the %e, %f and %g verbs. Fixed precisions
 * round the exact binary value half-to-even, as Go does, so 0.125 prints as
 * 0.12 with %.2f where JavaScript's toFixed would give 0.13.
 */

/** The value 0.digits × 10^point; digits carry no trailing zeros, zero has none at all. */
interface Decimal {
  readonly digits: string;
  readonly point: number;
}

export type FloatVerb = 'e' | 'E' | 'f' | 'F' | 'g' | 'G';

function trimZeros(digits: string, point: number): Decimal {
  const trimmed = digits.replace(/0+$/, '');
  return trimmed === '' ? { digits: '', point: 0 } : { digits: trimmed, point };
}

/** Every digit of a finite, non-negative double, computed with BigInt. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', point: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = biased === 0 ? -1074 : biased - 1075;
  if (exponent >= 0) {
    const digits = (mantissa << BigInt(exponent)).toString();
    return trimZeros(digits, digits.length);
  }
  // mantissa / 2^k equals mantissa * 5^k / 10^k.
  const digits = (mantissa * 5n ** BigInt(-exponent)).toString();
  return trimZeros(digits, digits.length + exponent);
}

/** The fewest digits that read back as x, as Go's %v picks them. */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', point: 0 };
  const [mantissa = '0', exponent = '0'] = x.toExponential().split('e');
  return trimZeros(mantissa.replace('.', ''), Number(exponent) + 1);
}

function roundsUp(d: Decimal, keep: number): boolean {
  const next = d.digits[keep] ?? '0';
  if (next === '5' && keep + 1 === d.digits.length) {
    // Exactly halfway: round to even.
    return keep > 0 && Number(d.digits[keep - 1]) % 2 === 1;
  }
  return next >= '5';
}

/** Keeps `keep` significant digits; a negative count leaves the value alone, as Go does. */
function roundTo(d: Decimal, keep: number): Decimal {
  if (keep < 0 || keep >= d.digits.length) return d;
  if (!roundsUp(d, keep)) return trimZeros(d.digits.slice(0, keep), d.point);
  const head = d.digits.slice(0, keep).replace(/9+$/, '');
  if (head === '') return { digits: '1', point: d.point + 1 };
  const last = Number(head[head.length - 1]) + 1;
  return { digits: head.slice(0, -1) + String(last), point: d.point };
}

function fixedNotation(d: Decimal, precision: number): string {
  let out = '';
  if (d.point > 0) {
    for (let i = 0; i < d.point; i++) out += d.digits[i] ?? '0';
  } else {
    out = '0';
  }
  if (precision > 0) {
    out += '.';
    for (let i = 1; i <= precision; i++) {
      const j = d.point + i - 1;
      out += (j >= 0 ? d.digits[j] : undefined) ?? '0';
    }
  }
  return out;
}

function exponentNotation(d: Decimal, precision: number, letter: string): string {
  let out = d.digits[0] ?? '0';
  if (precision > 0) out += '.' + d.digits.slice(1, precision + 1).padEnd(precision, '0');
  const exponent = d.digits === '' ? 0 : d.point - 1;
  const sign = exponent < 0 ? '-' : '+';
  return out + letter + sign + String(Math.abs(exponent)).padStart(2, '0');
}

function generalNotation(d: Decimal, precision: number, shortest: boolean, letter: string): string {
  const count = d.digits.length;
  let limit = precision;
  if (limit > count && count >= d.point) limit = count;
  // With the shortest digits Go switches to an exponent from 1e+06 upwards.
  if (shortest) limit = 6;
  const exponent = d.point - 1;
  if (exponent < -4 || exponent >= limit) {
    return exponentNotation(d, Math.min(precision, count) - 1, letter);
  }
  const significant = precision > d.point ? count : precision;
  return fixedNotation(d, Math.max(significant - d.point, 0));
}

function formatMagnitude(x: number, verb: FloatVerb, precision: number): string {
  const shortest = precision < 0;
  const letter = verb === 'E' || verb === 'G' ? 'E' : 'e';
  if (verb === 'e' || verb === 'E') {
    const d = shortest ? shortestDecimal(x) : roundTo(exactDecimal(x), precision + 1);
    return exponentNotation(d, shortest ? Math.max(d.digits.length - 1, 0) : precision, letter);
  }
  if (verb === 'f' || verb === 'F') {
    if (shortest) {
      const d = shortestDecimal(x);
      return fixedNotation(d, Math.max(d.digits.length - d.point, 0));
    }
    const exact = exactDecimal(x);
    return fixedNotation(roundTo(exact, exact.point + precision), precision);
  }
  const significant = precision === 0 ? 1 : precision;
  const d = shortest ? shortestDecimal(x) : roundTo(exactDecimal(x), significant);
  return generalNotation(d, shortest ? d.digits.length : significant, shortest, letter);
}

/** strconv.FormatFloat(x, verb, precision, 64); a negative precision means shortest. */
export function formatFloat(x: number, verb: FloatVerb, precision: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const negative = x < 0 || Object.is(x, -0);
  return (negative ? '-' : '') + formatMagnitude(Math.abs(x), verb, precision);
}
