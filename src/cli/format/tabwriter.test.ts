import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tabwrite } from './tabwriter.js';

describe('tabwrite with docker settings (minwidth 10, padding 3)', () => {
  it('pads columns to the widest cell plus three, at least ten', () => {
    const rows = [
      ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
      ['4c01db0b339c', 'ubuntu:22.04', '"bash"', '17 seconds ago', 'Up 16 seconds', '', 'vigilant_hopper'],
      [
        'd7886598dbe2',
        'crosbymichael/redis:latest',
        '"/redis-server --dir…"',
        '33 minutes ago',
        'Up 33 minutes',
        '0.0.0.0:6379->6379/tcp',
        'redis,webapp/db',
      ],
    ];
    assert.equal(
      tabwrite(rows),
      'CONTAINER ID   IMAGE                        COMMAND                  CREATED          STATUS          PORTS                    NAMES\n' +
        '4c01db0b339c   ubuntu:22.04                 "bash"                   17 seconds ago   Up 16 seconds                            vigilant_hopper\n' +
        'd7886598dbe2   crosbymichael/redis:latest   "/redis-server --dir…"   33 minutes ago   Up 33 minutes   0.0.0.0:6379->6379/tcp   redis,webapp/db\n',
    );
  });

  it('gives a header alone the minimum widths', () => {
    assert.equal(
      tabwrite('CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n'),
      'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
    );
  });

  it('pads a tab-terminated last cell but not an unterminated one', () => {
    assert.equal(tabwrite('a\tb\t\nccc\td\n'), 'a         b         \nccc       d\n');
  });

  it('ends a column block at a line without tabs', () => {
    assert.equal(
      tabwrite('x\ty\nno tabs here\nlonger value\tz\nq\t\tw\n'),
      'x         y\nno tabs here\nlonger value   z\nq                        w\n',
    );
  });

  it('keeps text after the last newline', () => {
    assert.equal(tabwrite('a\tb\ncc\td'), 'a         b\ncc        d');
    assert.equal(tabwrite(''), '');
  });

  it('measures wide characters as two columns', () => {
    assert.equal(
      tabwrite('日本語\tx\nab\ty\n✅✅\tz\ne\u0301\u0301ab\tw\n'),
      '日本語    x\nab        y\n✅✅      z\ne\u0301\u0301ab       w\n',
    );
  });

  it('joins rows of cells with tabs', () => {
    assert.equal(
      tabwrite([
        ['NAME', 'SIZE'],
        ['averyveryverylongname', '1'],
      ]),
      'NAME                    SIZE\naveryveryverylongname   1\n',
    );
  });
});

describe('tabwrite with other settings, from Go examples', () => {
  it('aligns right with debug bars (Example_elastic)', () => {
    const text = 'a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n';
    assert.equal(
      tabwrite(text, { minWidth: 0, tabWidth: 0, padding: 1, padChar: '.', alignRight: true, debug: true }),
      '....a|..b|c\n...aa|.bb|cc\n..aaa|\n.aaaa|.dddd|eeee\n',
    );
  });

  it('leaves an unterminated cell out of its column (Example_trailingTab)', () => {
    const text = 'a\tb\taligned\t\naa\tbb\taligned\t\naaa\tbbb\tunaligned\naaaa\tbbbb\taligned\t\n';
    assert.equal(
      tabwrite(text, { minWidth: 0, tabWidth: 0, padding: 3, padChar: '-', alignRight: true, debug: true }),
      '------a|------b|---aligned|\n-----aa|-----bb|---aligned|\n----aaa|----bbb|unaligned\n---aaaa|---bbbb|---aligned|\n',
    );
  });

  it('pads with tabs to tab stops (ExampleWriter_Init)', () => {
    const text = 'a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n';
    assert.equal(
      tabwrite(text, { minWidth: 0, tabWidth: 8, padding: 0, padChar: '\t' }),
      'a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n\n',
    );
  });
});
