import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDaemonJson } from './daemon-json.js';
import { findJsonSyntaxError, lineAndColumn } from './json-syntax.js';
import { assertConfigError } from './test-helpers.js';

function errorAt(text: string): { line: number; column: number; reason: string } {
  const found = findJsonSyntaxError(text);
  assert.ok(found, `expected a syntax error in ${JSON.stringify(text)}`);
  return { ...lineAndColumn(text, found.offset), reason: found.reason };
}

describe('findJsonSyntaxError', () => {
  it('accepts what JSON.parse accepts', () => {
    for (const text of ['{}', '[]', '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}', ' 0 ', '""']) {
      assert.equal(findJsonSyntaxError(text), undefined, text);
      JSON.parse(text);
    }
  });

  it('points at a missing comma', () => {
    const text = '{\n  "debug": true\n  "log-level": "info"\n}';
    assert.deepEqual(errorAt(text), { line: 3, column: 3, reason: "expected ',' or '}'" });
  });

  it('points at a trailing comma', () => {
    const text = '{\n  "debug": true,\n}';
    assert.deepEqual(errorAt(text), { line: 3, column: 1, reason: "trailing comma before '}'" });
  });

  it('points at unquoted keys, single quotes and bad literals', () => {
    assert.deepEqual(errorAt('{debug: true}'), {
      line: 1,
      column: 2,
      reason: 'expected a property name in double quotes',
    });
    assert.equal(errorAt("{'a': 1}").column, 2);
    assert.equal(errorAt('{"a": yes}').column, 7);
    assert.equal(errorAt('{"a" 1}').reason, "expected ':' after the property name");
  });

  it('reports an unexpected end at the end of the text', () => {
    const text = '{\n  "hosts": ["unix:///x"';
    assert.deepEqual(errorAt(text), { line: 2, column: 24, reason: 'unexpected end of file' });
  });

  it('rejects content after the value, bad escapes and raw newlines in strings', () => {
    assert.equal(errorAt('{} {}').reason, 'unexpected content after the top-level value');
    assert.equal(errorAt('{"a": "\\x"}').reason, 'invalid escape sequence in string');
    assert.match(errorAt('{"a": "x\ny"}').reason, /control character/);
  });
});

describe('parseDaemonJson', () => {
  const path = '/etc/berth/daemon.json';

  it('reports syntax errors with the file, line and column', () => {
    const bytes = Buffer.from('{\n  "debug": true,\n  "hosts": [\n}\n');
    assert.throws(
      () => parseDaemonJson(path, bytes),
      (err: unknown) => {
        assertConfigError(err, [path, 'invalid JSON at line 4, column 1']);
        return true;
      },
    );
  });

  it('treats an empty file as an empty configuration', () => {
    assert.equal(parseDaemonJson(path, Buffer.from(' \n\t')).size, 0);
  });

  it('accepts a UTF-8 byte order mark and UTF-16LE with a byte order mark', () => {
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"debug": true}')]);
    assert.equal(parseDaemonJson(path, utf8).get('debug'), true);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"debug": true}', 'utf16le')]);
    assert.equal(parseDaemonJson(path, utf16).get('debug'), true);
  });

  it('rejects invalid UTF-8 and non-object documents', () => {
    assert.throws(
      () => parseDaemonJson(path, Buffer.from([0x7b, 0xff, 0x7d])),
      (err: unknown) => {
        assertConfigError(err, [path, 'UTF-8']);
        return true;
      },
    );
    assert.throws(
      () => parseDaemonJson(path, Buffer.from('["debug"]')),
      (err: unknown) => {
        assertConfigError(err, [path, 'must be a JSON object', 'array']);
        return true;
      },
    );
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const entries = parseDaemonJson(path, Buffer.from('{"__proto__": {"debug": true}}'));
    assert.deepEqual([...entries.keys()], ['__proto__']);
  });
});
