import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePsOutput } from './top.js';

describe('docker top output', () => {
  const output = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 08:00 ?        00:00:01 /sbin/init splash',
    'root         700     650  0 08:01 ?        00:00:00 sleep 600 --with args',
    'root         701     700  0 08:01 ?        00:00:00 sh -c echo hi',
    '',
  ].join('\n');

  it('keeps only the container processes, the command with its spaces in the last column', () => {
    const list = parsePsOutput(output, [700, 701]);
    assert.deepEqual(list.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(list.Processes, [
      ['root', '700', '650', '0', '08:01', '?', '00:00:00', 'sleep 600 --with args'],
      ['root', '701', '700', '0', '08:01', '?', '00:00:00', 'sh -c echo hi'],
    ]);
  });

  it('keeps thread lines ("-" PID) of a kept process and refuses output without a PID column', () => {
    const threads = 'USER PID TID CMD\nroot 700 - sleep\nroot - 700 -\nroot 9 - other\nroot - 9 -\n';
    assert.deepEqual(parsePsOutput(threads, [700]).Processes, [
      ['root', '700', '-', 'sleep'],
      ['root', '-', '700', '-'],
    ]);
    assert.throws(() => parsePsOutput('USER CMD\nroot x\n', [1]), /Couldn't find PID field in ps output/);
  });
});
