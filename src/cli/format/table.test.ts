import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatItems, renderLines, renderTable } from './table.js';
import { assertInvalid } from './template-testing.js';

/** `docker context ls` rows; the expected outputs below are what docker prints for them. */
const contexts = [
  { Current: false, Description: '', DockerEndpoint: 'unix:///x/y.sock', Error: '', Name: 'c2' },
  {
    Current: false,
    Description: 'first one',
    DockerEndpoint: 'tcp://127.0.0.1:1',
    Error: '',
    Name: 'ctx-one',
  },
  {
    Current: true,
    Description: 'Current DOCKER_HOST based configuration',
    DockerEndpoint: 'unix:///var/run/docker.sock',
    Error: '',
    Name: 'default',
  },
  {
    Current: false,
    Description: '日本語 説明 ✅ done',
    DockerEndpoint: 'tcp://a:1',
    Error: '',
    Name: 'wide',
  },
];
const headers = {
  Name: 'NAME',
  Description: 'DESCRIPTION',
  DockerEndpoint: 'DOCKER ENDPOINT',
  Error: 'ERROR',
};
const defaultTable = 'table {{.Name}}\\t{{.Description}}\\t{{.DockerEndpoint}}\\t{{.Error}}';
const options = { defaultTable, headers };

const defaultOutput = [
  'NAME      DESCRIPTION                               DOCKER ENDPOINT               ERROR',
  'c2                                                  unix:///x/y.sock              ',
  'ctx-one   first one                                 tcp://127.0.0.1:1             ',
  'default   Current DOCKER_HOST based configuration   unix:///var/run/docker.sock   ',
  'wide      日本語 説明 ✅ done                       tcp://a:1                     ',
  '',
].join('\n');

describe('renderTable', () => {
  it('renders the header from the header titles and aligns columns like docker', () => {
    assert.equal(renderTable(contexts, defaultTable, headers), defaultOutput);
  });

  it('accepts real tabs as well as typed \\t', () => {
    assert.equal(renderTable(contexts, defaultTable.replaceAll('\\t', '\t'), headers), defaultOutput);
  });

  it('prints <no value> for a column without a title, as docker does', () => {
    assert.equal(
      renderTable(contexts, 'table {{.Name}}\\t{{.Current}}', headers),
      'NAME      <no value>\nc2        false\nctx-one   false\ndefault   true\nwide      false\n',
    );
  });

  it('keeps titles intact through docker functions in the header', () => {
    const format =
      'table {{upper .Name}}\\t{{json .Description}}\\t{{truncate .DockerEndpoint 5}}\\t{{pad .Error 1 1}}X';
    assert.equal(
      renderTable(contexts, format, headers),
      [
        'NAME      DESCRIPTION                                 DOCKER ENDPOINT    ERROR X',
        'C2        ""                                          unix:             X',
        'CTX-ONE   "first one"                                 tcp:/             X',
        'DEFAULT   "Current DOCKER_HOST based configuration"   unix:             X',
        'WIDE      "日本語 説明 ✅ done"                       tcp:/             X',
        '',
      ].join('\n'),
    );
  });

  it('keeps the header written before a header error, as docker does', () => {
    const rows = [{ ID: 'abc', Names: ['a', 'b'] }];
    const table = renderTable(rows, 'table {{.ID}}\\t{{range .Names}}{{.}} {{end}}', {
      ID: 'ID',
      Names: 'NAMES',
    });
    assert.equal(table, 'ID        \nabc       a b \n');
  });

  it('prints only the header when there are no rows', () => {
    assert.equal(renderTable([], defaultTable, headers), 'NAME      DESCRIPTION   DOCKER ENDPOINT   ERROR\n');
  });

  it('wraps template errors as docker does', () => {
    assertInvalid(
      () => renderTable(contexts, 'table {{.Name}}\\t{{.Name.Foo}}', headers),
      'template parsing error: template: :1:17: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string',
    );
    assertInvalid(
      () => renderTable(contexts, 'table {{.Name', headers),
      'template parsing error: template: :1: unclosed action',
    );
  });
});

describe('formatItems', () => {
  it('uses the default table without a format or with just "table"', () => {
    assert.equal(formatItems(contexts, undefined, options), defaultOutput);
    assert.equal(formatItems(contexts, '', options), defaultOutput);
    assert.equal(formatItems(contexts, 'table', options), defaultOutput);
  });

  it('prints one JSON object per line for "json"', () => {
    assert.equal(
      formatItems(contexts.slice(0, 2), 'json', options),
      '{"Current":false,"Description":"","DockerEndpoint":"unix:///x/y.sock","Error":"","Name":"c2"}\n' +
        '{"Current":false,"Description":"first one","DockerEndpoint":"tcp://127.0.0.1:1","Error":"","Name":"ctx-one"}\n',
    );
  });

  it('renders other templates once per item without aligning', () => {
    assert.equal(
      formatItems(contexts, '{{.Name}}\\t{{.Description}}', options),
      'c2\t\nctx-one\tfirst one\ndefault\tCurrent DOCKER_HOST based configuration\nwide\t日本語 説明 ✅ done\n',
    );
  });

  it('trims spaces around the template but keeps inner ones', () => {
    assert.equal(formatItems(contexts.slice(0, 1), '  {{.Name}}  x  ', options), 'c2  x\n');
    assert.equal(renderLines([{ A: 1 }], '{{.A}}\\n'), '1\n\n');
  });

  it('prints nothing for no items outside tables', () => {
    assert.equal(formatItems([], '{{.Name}}', options), '');
    assert.equal(formatItems([], 'json', options), '');
  });
});
