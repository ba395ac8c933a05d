import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sprint, sprintf, sprintln } from './printf.js';

describe('sprintf', () => {
  it('formats strings', () => {
    assert.equal(
      sprintf('%v|%s|%q|%x|%X|%T', ['hé', 'hé', 'hé', 'hé', 'hé', 'hé']),
      'hé|hé|"hé"|68c3a9|68C3A9|string',
    );
    assert.equal(sprintf('%8.3s|%-8q|%.2x', ['abcdef', 'a', 'abcdef']), '     abc|"a"     |6162');
    assert.equal(sprintf('%-10s|%5s|%05s', ['web', 'ab', 'ab']), 'web       |   ab|000ab');
    assert.equal(sprintf('%#q|%#q', ['abc', 'a`b']), '`abc`|"a`b"');
  });

  it('quotes like strconv.Quote', () => {
    assert.equal(sprintf('%q', ['"\\\u0007\u007f\u00a0\u{1F600}']), '"\\"\\\\\\a\\x7f\\u00a0\u{1F600}"');
    assert.equal(sprintf('%q', ['tab\there\u0000\u00e9\u2028']), '"tab\\there\\x00é\\u2028"');
  });

  it('formats integers', () => {
    const args = [42, 42, 42, -42, 42, 42, 7, 255, 255, 255, 8, 8, 5, 5, 9731, 9731, 9731, 9731];
    assert.equal(
      sprintf('%d|%5d|%-5d|%05d|%+d|% d|%.4d|%x|%#x|%X|%#o|%O|%b|%#b|%c|%q|%U|%#U', args),
      "42|   42|42   |-0042|+42| 42|0007|ff|0xff|FF|010|0o10|101|0b101|☃|'☃'|U+2603|U+2603 '☃'",
    );
    assert.equal(sprintf('%x|%X|%o', [-255, -255, -8]), '-ff|-FF|-10');
    assert.equal(sprintf('%c%c%c|%q', [72, 105, 128512, 39]), "Hi😀|'\\''");
  });

  it('formats floats', () => {
    const args = [
      4.14159, 2.675, 4.14159, 1.5, 2.25, -4.14159, 123456.789, 0.000123, 0.00001234, 1e-10, 123456, 4.14159,
    ];
    assert.equal(
      sprintf('%f|%.2f|%8.3f|%-8.2f|%+.1f|%08.2f|%e|%.2E|%g|%G|%.3g|%10.4g', args),
      '4.141590|2.67|   4.142|1.50    |+2.2|-0004.14|1.234568e+05|1.23E-04|1.234e-05|1E-10|1.23e+05|     4.142',
    );
    assert.equal(sprintf('%08.3e|%+e|% .2f', [1234.5, 1, 2]), '1.234e+03|+1.000000e+00| 2.00');
    assert.equal(sprintf('%6.2v|%.3v', [4.14159, 'abcdef']), '   4.1|abc');
  });

  it('rounds exact halves to even, as Go does', () => {
    assert.equal(
      sprintf('%.0f|%.0f|%.0f|%.1f|%.1f|%.2f', [0.5, 1.5, 2.5, 0.25, 0.35, 1.005]),
      '0|2|2|0.2|0.3|1.00',
    );
    assert.equal(sprintf('%.2f|%.2f', [0.125, 0.375]), '0.12|0.38');
  });

  it('prints %v of floats in shortest form', () => {
    assert.equal(
      sprintf('%v|%v|%v|%v', [0.1, 1e20 + 0.5, 1.5e9 + 0.25, -0.0001234]),
      '0.1|1e+20|1.50000000025e+09|-0.0001234',
    );
  });

  it('formats booleans', () => {
    assert.equal(sprintf('%t|%v|%5t|%-6t|', [true, false, true, false]), 'true|false| true|false |');
  });

  it('formats slices and maps element by element', () => {
    const list = ['a', 'b'];
    assert.equal(sprintf('%v|%d|%s', [list, list, list]), '[a b]|[%!d(string=a) %!d(string=b)]|[a b]');
    assert.equal(sprintf('%5v|%-3v|%q', [list, list, list]), '[    a     b]|[a   b  ]|["a" "b"]');
    assert.equal(sprintf('%v', [{ b: 2, a: [1, null] }]), 'map[a:[1 <nil>] b:2]');
  });

  it('reports bad verbs, missing and extra arguments', () => {
    assert.equal(sprintf('%d %s %v', ['x', 5, null]), '%!d(string=x) %!s(int=5) <nil>');
    assert.equal(
      sprintf('%s|%d|%t|%x', [null, null, null, null]),
      '%!s(<nil>)|%!d(<nil>)|%!t(<nil>)|%!x(<nil>)',
    );
    assert.equal(sprintf('%s', [true]), '%!s(bool=true)');
    assert.equal(sprintf('%d', [1, 2]), '1%!(EXTRA int=2)');
    assert.equal(sprintf('%d', [1, 'a', null]), '1%!(EXTRA string=a, <nil>)');
    assert.equal(sprintf('%d %d', [1]), '1 %!d(MISSING)');
    assert.equal(sprintf('%z|%!|%', [1, 2]), '%!z(int=1)|%!!(int=2)|%!(NOVERB)');
    assert.equal(sprintf('%d', [1.5]), '%!d(float64=1.5)');
  });

  it('takes width and precision from arguments with *', () => {
    assert.equal(sprintf('%*d|%-*d|%.*f', [5, 42, 4, 7, 2, 4.14159]), '   42|7   |4.14');
    assert.equal(sprintf('%*d', ['x', 5]), '%!(BADWIDTH)5');
  });

  it('prints %% and %T', () => {
    assert.equal(sprintf('%d%%', [50]), '50%');
    assert.equal(
      sprintf('%T %T %T %T %T %T %T', [1, 1.5, 's', true, null, [1], {}]),
      'int float64 string bool <nil> []interface {} map[string]interface {}',
    );
  });
});

describe('sprint and sprintln', () => {
  it('spaces operands only when neither is a string', () => {
    assert.equal(sprint(['a', 'b', 1, 2, true, 'c']), 'ab1 2 truec');
    assert.equal(sprint([1, 2, 'a', 'b', 3, null]), '1 2ab3 <nil>');
    assert.equal(sprint([]), '');
  });

  it('sprintln spaces everything and ends the line', () => {
    assert.equal(sprintln(['x', 1, null]), 'x 1 <nil>\n');
  });
});
