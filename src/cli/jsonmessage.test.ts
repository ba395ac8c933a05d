import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { OutStream } from './context.js';
import { decodeJsonStream, displayJsonMessages, JsonStreamError, progressText } from './jsonmessage.js';

function capture(isTerminal: boolean, columns?: number): { out: OutStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { out: { stream, isTerminal, columns }, text: () => text };
}

const lines = (...messages: object[]) => Readable.from([messages.map((m) => JSON.stringify(m)).join('\r\n')]);

describe('progress text, as JSONProgress.String() renders it', () => {
  it('draws a 50-column bar only on wide terminals', () => {
    const p = { current: 32768, total: 1989120 };
    assert.equal(progressText(p, 200), `[>${' '.repeat(50)}]  32.77kB/1.989MB`);
    assert.equal(progressText(p, 80), ' 32.77kB/1.989MB');
    assert.equal(
      progressText({ current: 2_000_000, total: 2_000_000 }, 200),
      `[${'='.repeat(50)}>]      2MB/2MB`,
    );
  });

  it('shows counts without a total, units, and nothing for an empty detail', () => {
    assert.equal(progressText({ current: 1500 }, 200), '   1.5kB');
    assert.equal(
      progressText({ current: 3, total: 10, units: 'items', hidecounts: false }, 80),
      '3/10 items',
    );
    assert.equal(progressText({}, 200), '');
  });

  it('adds the time left when the stream says when it started', () => {
    const now = 1_000_000_000;
    const text = progressText({ current: 10, total: 40, start: now / 1000 - 10 }, 200, now);
    assert.ok(text.endsWith(' 30s'), text);
  });
});

describe('displayJsonMessages', () => {
  const stream = [
    { status: 'Loading layer', id: 'aaa', progressDetail: { current: 1, total: 2 } },
    { status: 'Loading layer', id: 'aaa', progressDetail: { current: 2, total: 2 } },
    { stream: 'Loaded image: x:1\n' },
  ];

  it('redraws each id in place on a terminal', async () => {
    const { out, text } = capture(true, 0);
    await displayJsonMessages(lines(...stream), out);
    assert.equal(
      text(),
      '\n\x1b[1A\x1b[2K\raaa: Loading layer       1B/2B\r\x1b[1B\x1b[1A\x1b[2K\raaa: Loading layer       2B/2B\r\x1b[1BLoaded image: x:1\n',
    );
  });

  it('leaves progress out elsewhere', async () => {
    const { out, text } = capture(false);
    await displayJsonMessages(lines(...stream, { status: 'sha256:abc' }), out);
    assert.equal(text(), 'Loaded image: x:1\nsha256:abc\n');
  });

  it('stops at an error and hands aux messages over', async () => {
    const { out } = capture(false);
    const aux: unknown[] = [];
    const failing = lines({ aux: { ID: 'x' } }, { errorDetail: { message: 'boom' }, error: 'boom' });
    await assert.rejects(
      displayJsonMessages(failing, out, (a) => aux.push(a)),
      JsonStreamError,
    );
    assert.deepEqual(aux, [{ ID: 'x' }]);
  });

  it('splits objects however the chunks fall', async () => {
    const text = '{"status":"a {"}{"status":"b\\"}"}\n{"id":"c"}';
    const chunks = [...text].map((c) => Buffer.from(c));
    const seen = [];
    for await (const m of decodeJsonStream(Readable.from(chunks))) seen.push(m);
    assert.deepEqual(seen, [{ status: 'a {' }, { status: 'b"}' }, { id: 'c' }]);
  });
});
