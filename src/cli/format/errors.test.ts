import { describe, it } from 'node:test';
import { parseTemplate } from './template.js';
import { assertInvalid, assertRenderError } from './template-testing.js';

function assertParseError(text: string, message: string): void {
  assertInvalid(() => parseTemplate(text), message);
}

describe('parse errors', () => {
  it('reports unclosed actions with their line', () => {
    assertParseError('{{.Name', 'template: :1: unclosed action');
    assertParseError('line1\n{{', 'template: :2: unclosed action');
    assertParseError('line1\n{{"x"\n"y"\n', 'template: :4: unclosed action started at :2');
    assertParseError('{{\n\n\n\n\n', 'template: :6: unclosed action started at :1');
  });

  it('reports unknown functions and variables', () => {
    assertParseError('x {{foo}}', 'template: :1: function "foo" not defined');
    assertParseError('line1\n{{\nx\n}}', 'template: :3: function "x" not defined');
    assertParseError('{{$undefined}}', 'template: :1: undefined variable "$undefined"');
    assertParseError('{{if true}}{{$x := 1}}{{end}}{{$x}}', 'template: :1: undefined variable "$x"');
  });

  it('reports misplaced control words', () => {
    assertParseError('{{end}}', 'template: :1: unexpected {{end}}');
    assertParseError('{{else}}', 'template: :1: unexpected {{else}}');
    assertParseError('a{{if .}}', 'template: :1: unexpected EOF');
    assertParseError('{{if}}{{end}}', 'template: :1: missing value for if');
    assertParseError('{{break}}', 'template: :1: {{break}} outside {{range}}');
    assertParseError('{{if .Error}}a{{else with .Name}}b{{end}}', 'template: :1: unexpected <with> in input');
    assertParseError('{{range .}}{{else}}{{else}}{{end}}', 'template: :1: expected end; found {{else}}');
  });

  it('reports bad declarations', () => {
    assertParseError('{{range $a, $b, $c := .}}{{end}}', 'template: :1: too many declarations in range');
    assertParseError('{{range $k, .}}{{end}}', 'template: :1: range can only initialize variables');
    assertParseError('{{range $k,}}{{end}}', 'template: :1: missing value for range');
  });

  it('reports bad pipelines and operands', () => {
    assertParseError('{{.Name | 3}}', 'template: :1: non executable command in pipeline stage 2');
    assertParseError('{{.Name.}}', 'template: :1: unexpected <.> in operand');
    assertParseError('{{true.X}}', 'template: :1: unexpected . after term "true"');
    assertParseError('{{ ( ) }}', 'template: :1: missing value for parenthesized pipeline');
    assertParseError('{{`x`3}}', 'template: :1: unexpected "3" in operand');
    assertParseError('{{.X (1 2 3}}', 'template: :1: unclosed left paren');
    assertParseError('{{.X 1 2 3 ) }}', 'template: :1: unexpected right paren');
  });

  it('reports bad characters and literals', () => {
    assertParseError('{{.Name-}}', "template: :1: bad character U+002D '-'");
    assertParseError('{{a#}}', "template: :1: bad character U+0023 '#'");
    assertParseError('{{"unterminated}}', 'template: :1: unterminated quoted string');
    assertParseError('{{`a}}', 'template: :1: unterminated raw quoted string');
    assertParseError("{{'ab'}}", "template: :1: malformed character constant: 'ab'");
    assertParseError('{{"\\q"}}', 'template: :1: invalid syntax');
    assertParseError('{{1e}}', 'template: :1: illegal number syntax: "1e"');
    assertParseError('{{0xi}}', 'template: :1: illegal number syntax: "0xi"');
    assertParseError('{{1-2}}', 'template: :1: bad number syntax: "1-2"');
    assertParseError('{{1+2i}}', 'template: :1: complex constant 1+2i is not supported');
  });

  it('reports comments that do not close', () => {
    assertParseError('{{/*}}', 'template: :1: unclosed comment');
    assertParseError('{{/* x */ .}}', 'template: :1: comment ends before closing delimiter');
  });
});

describe('execution errors', () => {
  const data = { Name: 'default', Nil: null };

  it('names the failing call and its position', () => {
    assertRenderError(
      '{{index .Name 99}}',
      data,
      'template: :1:2: executing "" at <index .Name 99>: error calling index: index out of range: 99',
    );
    assertRenderError(
      '{{len 3}}',
      data,
      'template: :1:2: executing "" at <len 3>: error calling len: len of type int',
    );
  });

  it('checks argument counts and types', () => {
    assertRenderError(
      '{{printf}}',
      data,
      'template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0',
    );
    assertRenderError(
      '{{not}}',
      data,
      'template: :1:2: executing "" at <not>: wrong number of args for not: want 1 got 0',
    );
    assertRenderError('{{upper 3}}', data, 'template: :1:8: executing "" at <3>: expected string; found 3');
    assertRenderError(
      '{{join .Name ","}}',
      data,
      'template: :1:7: executing "" at <.Name>: wrong type for value; expected []string; got string',
    );
  });

  it('reports fields of values that have none', () => {
    assertRenderError(
      '{{.Name.X}}',
      data,
      'template: :1:7: executing "" at <.Name.X>: can\'t evaluate field X in type string',
    );
    assertRenderError(
      '{{$x := 1}}{{$x.Y}}',
      data,
      'template: :1:15: executing "" at <$x.Y>: can\'t evaluate field Y in type int',
    );
    assertRenderError(
      '{{.Nil.X}}',
      data,
      'template: :1:6: executing "" at <.Nil.X>: nil pointer evaluating interface {}.X',
    );
  });

  it('rejects arguments to values that are not functions', () => {
    assertRenderError('{{nil}}', data, 'template: :1:2: executing "" at <nil>: nil is not a command');
    assertRenderError(
      '{{1 2}}',
      data,
      'template: :1:2: executing "" at <1>: can\'t give argument to non-function 1',
    );
    assertRenderError(
      '{{.Name 1}}',
      data,
      'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments',
    );
  });

  it('reports what range cannot iterate', () => {
    assertRenderError(
      '{{range .Name}}{{end}}',
      data,
      'template: :1:8: executing "" at <.Name>: range can\'t iterate over default',
    );
    assertRenderError(
      '{{range $i, $v := 2}}{{end}}',
      data,
      'template: :1:18: executing "" at <2>: can\'t use 2 to iterate over more than one variable',
    );
  });

  it('counts the column in bytes on the failing line', () => {
    assertRenderError(
      'é\n  {{index .Name 99999999999 | printf "%s"}}',
      data,
      'template: :2:4: executing "" at <index .Name 99999999999>: error calling index: index out of range: 99999999999',
    );
    assertRenderError(
      'ééé {{.Name.X}}',
      data,
      'template: :1:14: executing "" at <.Name.X>: can\'t evaluate field X in type string',
    );
  });

  it('reports comparison errors', () => {
    assertRenderError(
      '{{eq 1 "a"}}',
      data,
      'template: :1:2: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison',
    );
    assertRenderError(
      '{{lt nil 1}}',
      data,
      'template: :1:2: executing "" at <lt nil 1>: error calling lt: invalid type for comparison',
    );
  });
});
