import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goJson, title } from './docker-functions.js';
import { goQuote, goQuoteRune, htmlEscape, jsEscape, urlQueryEscape } from './escape.js';
import { formatValue, isTrue, typeName } from './values.js';

describe('Go views of JavaScript values', () => {
  it('names Go types', () => {
    const names = [1, 1.5, 2 ** 64, 'x', true, null, undefined, [], {}].map(typeName);
    assert.deepEqual(names, [
      'int',
      'float64',
      'float64',
      'string',
      'bool',
      '<nil>',
      '<nil>',
      '[]interface {}',
      'map[string]interface {}',
    ]);
  });

  it('treats keys holding undefined as absent', () => {
    assert.equal(isTrue({ a: undefined }), false);
    assert.equal(formatValue({ a: undefined, b: 1 }), 'map[b:1]');
  });

  it('prints nested values like %v', () => {
    assert.equal(formatValue([['a'], { k: null }, 2.5]), '[[a] map[k:<nil>] 2.5]');
  });
});

describe('escapes', () => {
  it('quotes strings and runes like strconv', () => {
    assert.equal(goQuote('a"b\\c\n\u0000é\u{1F600}\u00a0'), '"a\\"b\\\\c\\n\\x00é\u{1F600}\\u00a0"');
    assert.equal(goQuoteRune(0x27), "'\\''");
    assert.equal(goQuoteRune(0x22), `'"'`);
    assert.equal(goQuote('\uD800'), '"\uFFFD"');
  });

  it('escapes html, js and url query text like Go', () => {
    assert.equal(
      htmlEscape(`<a href='x'>&"</a>\u0000`),
      '&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;\uFFFD',
    );
    assert.equal(
      jsEscape('a\'b"c<>=&\\ \u0001é\u2028'),
      'a\\\'b\\"c\\u003C\\u003E\\u003D\\u0026\\\\ \\u0001é\\u2028',
    );
    assert.equal(urlQueryEscape("a b&c=d/é!*'()~"), 'a+b%26c%3Dd%2F%C3%A9%21%2A%27%28%29~');
  });
});

describe('docker helpers', () => {
  it('encodes JSON as docker does', () => {
    assert.equal(goJson({ b: '<&>', a: [1, 2.5, true, null] }), '{"b":"<&>","a":[1,2.5,true,null]}');
    assert.equal(goJson(undefined), 'null');
    assert.equal(goJson('\u2028\u2029\uD800'), '"\\u2028\\u2029\uFFFD"');
    assert.equal(goJson({ n: Number.NaN }), '');
  });

  it('titles words like strings.Title', () => {
    assert.equal(title('hello wORLD foo-bar_baz x.y élan 3d'), 'Hello WORLD Foo-Bar_baz X.Y Élan 3d');
  });
});
