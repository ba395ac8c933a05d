import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lex } from './lexer.js';

function kinds(text: string): string[] {
  return lex(text).map((token) => (token.type === 'space' ? ' ' : `${token.type}:${token.value}`));
}

describe('lex', () => {
  it('splits text and actions', () => {
    assert.deepEqual(kinds('a{{.B}}c'), [
      'text:a',
      'leftDelim:{{',
      'field:.B',
      'rightDelim:}}',
      'text:c',
      'eof:',
    ]);
  });

  it('splits field chains into fields', () => {
    assert.deepEqual(kinds('{{.A.B $x.C}}').slice(1, -2), [
      'field:.A',
      'field:.B',
      ' ',
      'variable:$x',
      'field:.C',
    ]);
  });

  it('recognises keywords, identifiers, literals and operators', () => {
    assert.deepEqual(kinds('{{range $i, $v := .}}{{end}}').slice(1, 11), [
      'keyword:range',
      ' ',
      'variable:$i',
      'char:,',
      ' ',
      'variable:$v',
      ' ',
      'declare::=',
      ' ',
      'keyword:.',
    ]);
    assert.deepEqual(kinds('{{printf "%d" 1.5 true nil `r` \'c\' | x}}').slice(1, -2), [
      'identifier:printf',
      ' ',
      'string:"%d"',
      ' ',
      'number:1.5',
      ' ',
      'bool:true',
      ' ',
      'keyword:nil',
      ' ',
      'rawString:`r`',
      ' ',
      "charConstant:'c'",
      ' ',
      'pipe:|',
      ' ',
      'identifier:x',
    ]);
  });

  it('trims around trim markers and drops comments', () => {
    assert.deepEqual(kinds('a \n{{- 1 -}}\n b'), [
      'text:a',
      'leftDelim:{{',
      'number:1',
      'rightDelim:}}',
      'text:b',
      'eof:',
    ]);
    assert.deepEqual(kinds('a {{- /* c */ -}} b'), ['text:a', 'text:b', 'eof:']);
  });

  it('reads a minus after {{ as a number sign', () => {
    assert.deepEqual(kinds('{{-1}}').slice(1, 2), ['number:-1']);
  });

  it('records line numbers', () => {
    const tokens = lex('a\nb{{\n.X}}');
    assert.deepEqual(
      tokens.map((token) => token.line),
      [1, 2, 2, 3, 3, 3],
    );
  });

  it('ends with an error token', () => {
    assert.deepEqual(kinds('{{.X').at(-1), 'error:unclosed action');
    assert.deepEqual(kinds('{{"abc}}').at(-1), 'error:unterminated quoted string');
    assert.deepEqual(kinds('{{(.X}}').at(-1), 'error:unclosed left paren');
    assert.deepEqual(kinds('{{\u0001}}').at(-1), 'error:unrecognized character in action: U+0001');
  });
});
