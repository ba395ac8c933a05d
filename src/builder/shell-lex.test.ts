/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile variables are the subject of these tests */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShellLex, varsOf } from './shell-lex.js';

const lex = new ShellLex();
const vars = varsOf(['A=a', 'EMPTY=', 'SP=x y']);

describe('variable substitution', () => {
  it('expands as the Dockerfile reference documents', () => {
    const cases: [string, string][] = [
      ['$A', 'a'],
      ['${A}', 'a'],
      ['${A}b', 'ab'],
      ['${UNSET:-word}', 'word'],
      ['${EMPTY:-word}', 'word'],
      ['${EMPTY-word}', ''],
      ['${A:-word}', 'a'],
      ['${A:+word}', 'word'],
      ['${EMPTY:+word}', ''],
      ['${EMPTY+word}', 'word'],
      ['${UNSET:+word}', ''],
      ['${UNSET:-${A}x}', 'ax'],
      ["'$A'", '$A'],
      ['"$A"', 'a'],
      ['\\$A', '$A'],
      ['"\\$A"', '$A'],
      ['$', '$'],
      ['a$UNSET-b', 'a-b'],
    ];
    for (const [input, expected] of cases) assert.equal(lex.processWord(input, vars), expected, input);
  });

  it('splits words on unquoted whitespace, including from expansions', () => {
    assert.deepEqual(lex.processWords('80 $SP "q r"', vars), ['80', 'x', 'y', 'q r']);
  });

  it('uses the escape directive character', () => {
    assert.equal(new ShellLex('`').processWord('`$A c:\\dir', vars), '$A c:\\dir');
  });

  it('fails for ${VAR:?message} on an unset variable', () => {
    assert.throws(() => lex.processWord('${UNSET:?need it}', vars), /UNSET: need it/);
  });
});
