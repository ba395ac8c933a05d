import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from './template-testing.js';

const container = {
  ID: 'abc123',
  Name: 'web',
  State: { Running: true, Paused: false, Pid: 42 },
  Labels: { 'com.x': 'yes', app: 'shop' },
  Ports: ['80/tcp', '443/tcp'],
  Empty: [],
  Nothing: null,
};

describe('text and fields', () => {
  it('copies text without actions', () => {
    assert.equal(render('plain text\n'), 'plain text\n');
  });

  it('reads field chains', () => {
    assert.equal(render('{{.Name}} {{.State.Running}} {{.State.Pid}}', container), 'web true 42');
  });

  it('prints <no value> for a missing map key, as Go does', () => {
    assert.equal(render('{{.Missing}}', container), '<no value>');
    assert.equal(render('{{.Missing.Deeper}}', container), '<no value>');
  });

  it('prints <no value> for null and for nil data', () => {
    assert.equal(render('{{.Nothing}}', container), '<no value>');
    assert.equal(render('{{.X}}', null), '<no value>');
  });

  it('prints dot', () => {
    assert.equal(render('{{.}}', 'hello'), 'hello');
  });

  it('does not read inherited properties', () => {
    assert.equal(render('{{.constructor}}', {}), '<no value>');
  });
});

describe('printing values like fmt %v', () => {
  it('prints integers without a decimal point', () => {
    assert.equal(render('{{.}}', 1500000000), '1500000000');
  });

  it('prints floats in Go shortest form', () => {
    assert.equal(
      render('{{.A}} {{.B}} {{.C}}', { A: 1.5, B: 1.5e9 + 0.5, C: 0.00001 }),
      '1.5 1.5000000005e+09 1e-05',
    );
  });

  it('prints booleans, arrays and maps', () => {
    assert.equal(render('{{.Ports}}', container), '[80/tcp 443/tcp]');
    assert.equal(render('{{.Labels}}', container), 'map[app:shop com.x:yes]');
    assert.equal(render('{{.}}', { b: [1, null], a: { c: true } }), 'map[a:map[c:true] b:[1 <nil>]]');
  });
});

describe('variables', () => {
  it('declares and reads variables', () => {
    assert.equal(render('{{$n := .Name}}{{$n}}-{{$n}}', container), 'web-web');
  });

  it('assigns to a declared variable across scopes', () => {
    assert.equal(render('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}'), '2');
  });

  it('reads fields of variables and of $', () => {
    assert.equal(render('{{with .State}}{{$.Name}}:{{.Pid}}{{end}}', container), 'web:42');
    assert.equal(render('{{$s := .State}}{{$s.Pid}}', container), '42');
  });

  it('drops variables at the end of their block', () => {
    assert.equal(render('{{$x := "outer"}}{{if true}}{{$x := "inner"}}{{$x}}{{end}} {{$x}}'), 'inner outer');
  });
});

describe('pipelines', () => {
  it('passes the value on as the last argument', () => {
    assert.equal(render('{{.Name | printf "%s!" | printf "<%s>"}}', container), '<web!>');
  });

  it('evaluates parenthesized pipelines', () => {
    assert.equal(render('{{printf "%d" (len .Ports)}}', container), '2');
    assert.equal(render('{{(index .Ports 1)}}', container), '443/tcp');
  });

  it('reads fields of a parenthesized result', () => {
    assert.equal(render('{{(index . 0).Name}}', [{ Name: 'first' }]), 'first');
  });

  it('accepts literals', () => {
    assert.equal(
      render('{{"a\\tb"}}|{{`raw\\n`}}|{{true}}|{{-3}}|{{0x1F}}|{{1e3}}|{{\'a\'}}'),
      'a\tb|raw\\n|true|-3|31|1000|97',
    );
  });
});

describe('if, else if, else', () => {
  it('follows Go truthiness', () => {
    const cases: [unknown, string][] = [
      [false, 'F'],
      [0, 'F'],
      [0.0, 'F'],
      ['', 'F'],
      [[], 'F'],
      [{}, 'F'],
      [null, 'F'],
      [true, 'T'],
      [-1, 'T'],
      ['0', 'T'],
      [[0], 'T'],
      [{ a: 1 }, 'T'],
    ];
    for (const [value, expected] of cases) {
      assert.equal(render('{{if .V}}T{{else}}F{{end}}', { V: value }), expected, JSON.stringify(value));
    }
  });

  it('combines and, or and not', () => {
    const template = '{{if and .A (not .B)}}yes{{else}}no{{end}}';
    assert.equal(render(template, { A: true, B: false }), 'yes');
    assert.equal(render(template, { A: true, B: true }), 'no');
    assert.equal(render(template, { A: false, B: false }), 'no');
  });

  it('chains else if', () => {
    const template = '{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}';
    assert.equal(render(template, { N: 1 }), 'one');
    assert.equal(render(template, { N: 2 }), 'two');
    assert.equal(render(template, { N: 3 }), 'many');
  });
});

describe('with', () => {
  it('sets dot when true and skips otherwise', () => {
    assert.equal(render('{{with .State}}{{.Pid}}{{end}}', container), '42');
    assert.equal(render('{{with .Missing}}x{{else}}none{{end}}', container), 'none');
  });

  it('chains else with', () => {
    assert.equal(render('{{with .A}}a={{.}}{{else with .B}}b={{.}}{{else}}none{{end}}', { B: 2 }), 'b=2');
  });

  it('declares a variable', () => {
    assert.equal(render('{{with $p := .State.Pid}}{{$p}}{{end}}', container), '42');
  });
});
