import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError, ErrorKind } from './errors.js';
import { formatBytesBinary, formatGoFloat, formatHumanSize, parseHumanSize, parseRamSize } from './units.js';

const KB = 1000;
const MB = 1000 * KB;
const GB = 1000 * MB;
const TB = 1000 * GB;
const PB = 1000 * TB;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;
const PiB = 1024 * TiB;

function assertInvalid(parse: (text: string) => number, text: string): void {
  assert.throws(
    () => parse(text),
    (err: unknown) => err instanceof BerthError && err.kind === ErrorKind.InvalidArgument,
    `expected ${JSON.stringify(text)} to be rejected`,
  );
}

describe('parseHumanSize (go-units FromHumanSize)', () => {
  it('parses the documented examples with decimal multipliers', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['0b', 0],
      ['0 B', 0],
      ['32', 32],
      ['32b', 32],
      ['32B', 32],
      ['32k', 32 * KB],
      ['32K', 32 * KB],
      ['32kb', 32 * KB],
      ['32Kb', 32 * KB],
      ['32Mb', 32 * MB],
      ['32Gb', 32 * GB],
      ['32Tb', 32 * TB],
      ['32Pb', 32 * PB],
      ['32.5kB', 32.5 * KB],
      ['32.5 kB', 32.5 * KB],
      ['32.5 B', 32],
      ['0.3 K', 300],
      ['.3kB', 300],
      ['0.', 0],
      ['0. ', 0],
      ['0.b', 0],
      ['-0', 0],
      ['-0 B', 0],
      ['32.', 32],
      ['32. b', 32],
      ['0 ', 0],
      ['10k', 10_000],
      ['100m', 100_000_000],
      ['1g', 1_000_000_000],
      ['1024', 1024],
      ['1.5m', 1_500_000],
    ];
    for (const [text, expected] of cases) assert.equal(parseHumanSize(text), expected, text);
  });

  it('rejects what go-units rejects', () => {
    const invalid = [
      ...[' 0', ' 0b', ' 0 B', '0b ', '0 B ', '', 'hello', '.', '. ', ' ', ' .', '-32', '-32b', '-32 B'],
      ...['32b.', '32 b.', '32 bb', '32 b b', '32  b', ' 32 ', '32m b', '32bm', '10zb', '1kk'],
    ];
    for (const text of invalid) assertInvalid(parseHumanSize, text);
  });

  it('names the bad suffix', () => {
    assert.throws(() => parseHumanSize('10zb'), /invalid suffix: 'zb'/);
  });
});

describe('parseRamSize (go-units RAMInBytes)', () => {
  it('parses the documented examples with binary multipliers', () => {
    const cases: [string, number][] = [
      ['32', 32],
      ['32b', 32],
      ['32B', 32],
      ['32k', 32 * KiB],
      ['32K', 32 * KiB],
      ['32kb', 32 * KiB],
      ['32Kb', 32 * KiB],
      ['32Kib', 32 * KiB],
      ['32KIB', 32 * KiB],
      ['32Mb', 32 * MiB],
      ['32Gb', 32 * GiB],
      ['32Tb', 32 * TiB],
      ['32Pb', 32 * PiB],
      ['32PB', 32 * PiB],
      ['32P', 32 * PiB],
      ['32.3', 32],
      ['32.3 mb', Math.trunc(32.3 * MiB)],
      ['0.3MB', Math.trunc(0.3 * MiB)],
      ['64m', 64 * MiB],
    ];
    for (const [text, expected] of cases) assert.equal(parseRamSize(text), expected, text);
  });

  it('rejects what go-units rejects', () => {
    for (const text of ['', 'hello', '-32', ' 32 ', '32m b', '32bm']) assertInvalid(parseRamSize, text);
  });
});

describe('formatHumanSize (go-units HumanSizeWithPrecision)', () => {
  it('matches go-units HumanSize examples with precision 4', () => {
    const cases: [number, string][] = [
      [1000, '1kB'],
      [1024, '1.024kB'],
      [1000000, '1MB'],
      [1048576, '1.049MB'],
      [2 * MB, '2MB'],
      [3.42 * GB, '3.42GB'],
      [5.372 * TB, '5.372TB'],
      [2.22 * PB, '2.22PB'],
      [10000000000000 * PB, '1e+04YB'],
    ];
    for (const [size, expected] of cases) assert.equal(formatHumanSize(size, 4), expected, String(size));
  });

  it('uses 3 significant digits by default, like the docker CLI tables', () => {
    assert.equal(formatHumanSize(1048576), '1.05MB');
    assert.equal(formatHumanSize(100), '100B');
    assert.equal(formatHumanSize(0), '0B');
    assert.equal(formatHumanSize(72_900_000), '72.9MB');
    assert.equal(formatHumanSize(1_234_567_890), '1.23GB');
  });
});

describe('formatBytesBinary (go-units BytesSize)', () => {
  it('matches the go-units examples', () => {
    const cases: [number, string][] = [
      [1024, '1KiB'],
      [1024 * 1024, '1MiB'],
      [1048576, '1MiB'],
      [2 * MiB, '2MiB'],
      [3.42 * GiB, '3.42GiB'],
      [5.372 * TiB, '5.372TiB'],
      [2.22 * PiB, '2.22PiB'],
      [KiB * KiB * KiB * KiB * KiB * PiB, '1.049e+06YiB'],
    ];
    for (const [size, expected] of cases) assert.equal(formatBytesBinary(size), expected, String(size));
  });

  it('prints memory totals like docker info', () => {
    assert.equal(formatBytesBinary(7.773 * GiB), '7.773GiB');
    assert.equal(formatBytesBinary(25_200_000_000), '23.47GiB');
    assert.equal(formatBytesBinary(512), '512B');
  });
});

describe('formatGoFloat (%g)', () => {
  it('switches to exponent notation like Go', () => {
    assert.equal(formatGoFloat(1000, 4), '1000');
    assert.equal(formatGoFloat(10000, 4), '1e+04');
    assert.equal(formatGoFloat(0.0001, 4), '0.0001');
    assert.equal(formatGoFloat(0.00001234, 4), '1.234e-05');
    assert.equal(formatGoFloat(999.96, 4), '1000');
  });
});
