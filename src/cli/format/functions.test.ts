import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRenderError, render } from './template-testing.js';

const data = {
  Name: 'web',
  Labels: { 'com.x': 'yes', 'com.docker.compose.project': 'shop' },
  Names: ['a', 'b', 'c'],
  Config: { Image: 'nginx:1.27', Env: ['A=1'], Cmd: null, Html: '<b>&' },
};

describe('Go built-in functions', () => {
  it('len counts bytes of strings, elements and keys', () => {
    assert.equal(render('{{len "héllo"}} {{len .Names}} {{len .Labels}}', data), '6 3 2');
  });

  it('index reads map keys that are not identifiers', () => {
    assert.equal(render('{{index .Labels "com.x"}}', data), 'yes');
    assert.equal(render('{{index .Labels "com.docker.compose.project"}}', data), 'shop');
  });

  it('index returns no value for a missing key', () => {
    assert.equal(render('{{index .Labels "absent"}}', data), '<no value>');
  });

  it('index walks nested values and yields bytes of strings', () => {
    assert.equal(render('{{index . 1 0}}', [[1], [2, 3]]), '2');
    assert.equal(render('{{index "abc" 0}}', data), '97');
  });

  it('index reports bad positions as Go does', () => {
    assertRenderError(
      '{{index .Names 3}}',
      data,
      'template: :1:2: executing "" at <index .Names 3>: error calling index: reflect: slice index out of range',
    );
    assertRenderError(
      '{{index .Names -1}}',
      data,
      'template: :1:2: executing "" at <index .Names -1>: error calling index: index out of range: -1',
    );
    assertRenderError(
      '{{index nil 1}}',
      data,
      'template: :1:2: executing "" at <index nil 1>: error calling index: index of untyped nil',
    );
    assertRenderError(
      '{{index .Labels 1}}',
      data,
      'template: :1:2: executing "" at <index .Labels 1>: error calling index: value has type int; should be string',
    );
  });

  it('slice cuts strings by bytes and arrays by elements', () => {
    assert.equal(
      render('{{slice "héllo" 1}}|{{slice "abcdef" 1 3}}|{{slice .Names 1}}', data),
      'éllo|bc|[b c]',
    );
    assert.equal(render('{{slice .Names 0 1 2}}', data), '[a]');
    assertRenderError(
      '{{slice "abc" 1 2 3}}',
      data,
      'template: :1:2: executing "" at <slice "abc" 1 2 3>: error calling slice: cannot 3-index slice a string',
    );
  });

  it('compares with eq, ne, lt, le, gt and ge', () => {
    const template =
      '{{eq "a" "a"}} {{eq 1 2 3 1}} {{ne "a" "b"}} {{lt 1 2}} {{lt "b" "a"}} {{le 2 2}} {{gt 3 2}} {{ge 2 3}}';
    assert.equal(render(template), 'true true true true false true true false');
    assert.equal(
      render('{{eq nil nil}} {{eq "a" nil}} {{ne nil 1}} {{eq .Missing nil}}'),
      'true false true true',
    );
  });

  it('and and or return the deciding argument and stop early', () => {
    assert.equal(render('{{and 1 "x" 3}}|{{and 1 0 "x"}}|{{or 0 "" "z"}}|{{or 0 ""}}'), '3|0|z|');
    // The failing call after the deciding argument is never evaluated.
    assert.equal(render('{{or 1 (index nil 0)}}|{{and 0 (index nil 0)}}'), '1|0');
  });

  it('print, printf and println follow fmt', () => {
    assert.equal(render('{{print "a" "b" 1 2 true "c"}}'), 'ab1 2 truec');
    assert.equal(render('{{printf "%5.2f%%" 12.345}}'), '12.35%');
    assert.equal(render('{{println "x" 1}}'), 'x 1\n');
    assert.equal(render('{{printf "%-10s|" .Name}}', data), 'web       |');
    assert.equal(render('{{print .Missing}}'), '<nil>');
  });

  it('escapes for html, js and urls', () => {
    assert.equal(
      render(`{{html "<b>\\"Tom & Jerry's\\"</b>"}}`),
      '&lt;b&gt;&#34;Tom &amp; Jerry&#39;s&#34;&lt;/b&gt;',
    );
    assert.equal(render('{{html 1 "<" 2}}'), '1&lt;2');
    assert.equal(
      render('{{js "it\'s \\"q\\" <x> & y=1 \\\\"}}'),
      'it\\\'s \\"q\\" \\u003Cx\\u003E \\u0026 y\\u003D1 \\\\',
    );
    assert.equal(render('{{urlquery "a b/c?d=e&f" "x"}}'), 'a+b%2Fc%3Fd%3De%26fx');
  });
});

describe('docker functions', () => {
  it('json encodes without HTML escaping or a trailing newline', () => {
    assert.equal(
      render('{{json .Config}}', data),
      '{"Image":"nginx:1.27","Env":["A=1"],"Cmd":null,"Html":"<b>&"}',
    );
    assert.equal(
      render('{{json 1.5}}|{{json 100}}|{{json true}}|{{json nil}}|{{json .Missing}}'),
      '1.5|100|true|null|null',
    );
  });

  it('json escapes control characters and line separators like Go', () => {
    assert.equal(render('{{json "a\\u2028b\\u001b\\t"}}'), '"a\\u2028b\\u001b\\t"');
  });

  it('split and join', () => {
    assert.equal(
      render('{{split "a,b,,c" ","}}|{{len (split "" ",")}}|{{split "héllo" ""}}'),
      '[a b  c]|1|[h é l l o]',
    );
    assert.equal(render('{{join .Names ", "}}', data), 'a, b, c');
    assert.equal(render('{{join (split "a b" " ") "-"}}'), 'a-b');
  });

  it('title, lower and upper', () => {
    assert.equal(render('{{title "hello wORLD foo-bar_baz x.y élan"}}'), 'Hello WORLD Foo-Bar_baz X.Y Élan');
    assert.equal(render('{{lower "HeLLo ÀÉ"}}|{{upper "straße ǆ"}}'), 'hello àé|STRAßE Ǆ');
  });

  it('pad adds spaces around non-empty strings only', () => {
    assert.equal(render('[{{pad "abc" 2 3}}][{{pad "" 2 3}}]'), '[  abc   ][]');
  });

  it('truncate keeps a prefix of bytes', () => {
    assert.equal(render('{{truncate "abcdef" 3}}|{{truncate "abc" 3}}|{{truncate "abc" 10}}'), 'abc|abc|abc');
    assert.equal(render('{{truncate .Name 2}}', data), 'we');
  });

  it('checks argument types like Go', () => {
    assertRenderError(
      '{{upper .Name | truncate 3}}',
      data,
      'template: :1:25: executing "" at <3>: expected string; found 3',
    );
    assertRenderError(
      '{{truncate "x" -1}}',
      data,
      'template: :1:2: executing "" at <truncate "x" -1>: error calling truncate: runtime error: slice bounds out of range [:-1]',
    );
  });
});
