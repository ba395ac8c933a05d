import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactJson, indentJson } from './json-text.js';

describe('json.Indent and json.Compact on raw text', () => {
  const raw =
    '{"Id":"sha256:x","RepoTags":["a:1","b \\"q\\" ]"],"Empty":{},"None":[],"Size":1e+06,"Html":"\\u003c\\u003e"}\n';

  it('indents by four spaces, keeping empty objects and arrays, escapes and numbers', () => {
    assert.equal(
      indentJson(`[${raw}]`),
      [
        '[',
        '    {',
        '        "Id": "sha256:x",',
        '        "RepoTags": [',
        '            "a:1",',
        '            "b \\"q\\" ]"',
        '        ],',
        '        "Empty": {},',
        '        "None": [],',
        '        "Size": 1e+06,',
        '        "Html": "\\u003c\\u003e"',
        '    }',
        ']',
      ].join('\n'),
    );
  });

  it('compacts without touching strings', () => {
    assert.equal(compactJson('[ {"a b" : [ 1 , 2 ] } ]'), '[{"a b":[1,2]}]');
  });
});
