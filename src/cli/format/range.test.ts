import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from './template-testing.js';

describe('range', () => {
  it('iterates over arrays', () => {
    assert.equal(render('{{range .}}{{.}},{{end}}', ['a', 'b', 'c']), 'a,b,c,');
  });

  it('binds index and element', () => {
    assert.equal(render('{{range $i, $v := .}}{{$i}}={{$v}} {{end}}', ['a', 'b']), '0=a 1=b ');
  });

  it('binds the element with one variable', () => {
    assert.equal(render('{{range $v := .}}[{{$v}}]{{end}}', ['a', 'b']), '[a][b]');
  });

  it('iterates over objects in sorted key order, like Go maps', () => {
    const labels = { zeta: 'z', alpha: 'a', mid: 'm' };
    assert.equal(render('{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', labels), 'alpha=a;mid=m;zeta=z;');
    assert.equal(render('{{range .}}{{.}}{{end}}', labels), 'amz');
  });

  it('runs else for empty or missing collections', () => {
    const template = '{{range .L}}x{{else}}empty{{end}}';
    assert.equal(render(template, { L: [] }), 'empty');
    assert.equal(render(template, { L: {} }), 'empty');
    assert.equal(render(template, {}), 'empty');
    assert.equal(render(template, { L: null }), 'empty');
  });

  it('reaches the root through $ in nested ranges', () => {
    const data = { Prefix: '>', Groups: [{ Items: ['a', 'b'] }, { Items: ['c'] }] };
    const template = '{{range $g, $group := .Groups}}{{range .Items}}{{$.Prefix}}{{$g}}{{.}} {{end}}{{end}}';
    assert.equal(render(template, data), '>0a >0b >1c ');
  });

  it('stops at break and skips at continue', () => {
    const template = '{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}';
    assert.equal(render(template, [1, 2, 3, 4, 5]), '13');
  });

  it('breaks only the innermost range', () => {
    const template = '{{range .}}{{range .}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}};{{end}}';
    assert.equal(render(template, [[1, 2, 3], [4]]), '1;4;');
  });

  it('counts up to an integer, as Go 1.22 does', () => {
    assert.equal(render('{{range 3}}{{.}}{{end}}'), '012');
    assert.equal(render('{{range $i := 2}}<{{$i}}>{{end}}'), '<0><1>');
  });

  it('assigns to existing variables with =', () => {
    assert.equal(render('{{$i := 0}}{{$v := ""}}{{range $i, $v = .}}{{end}}{{$i}}{{$v}}', ['a', 'b']), '1b');
  });

  it('keeps variables declared in the body per iteration', () => {
    assert.equal(render('{{range .}}{{$x := .}}{{$x}}{{end}}', [1, 2]), '12');
  });
});

describe('trim markers and comments', () => {
  it('trims spaces and newlines around actions', () => {
    assert.equal(render('a  \n {{- .X -}} \n  b', { X: 1 }), 'a1b');
    assert.equal(render('a {{- .X}} b', { X: 1 }), 'a1 b');
    assert.equal(render('a {{.X -}} b', { X: 1 }), 'a 1b');
  });

  it('keeps a minus that belongs to a number', () => {
    assert.equal(render('{{-3}} {{- -3 -}} x'), '-3-3x');
  });

  it('drops comments, trimmed or not', () => {
    assert.equal(render('a{{/* note */}}b'), 'ab');
    assert.equal(render('a \n{{- /* note */ -}}\n b'), 'ab');
    assert.equal(render('{{/* multi\nline */}}x'), 'x');
  });

  it('lays out a list with trimmed range markers', () => {
    const template = '{{range .}}\n  {{- .}}\n{{end}}';
    assert.equal(render(template, ['a', 'b']), 'a\nb\n');
  });

  it('allows newlines inside actions', () => {
    assert.equal(render('{{if\n  .X\n}}yes{{end}}', { X: true }), 'yes');
  });
});
