import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BerthError } from '../../core/errors.js';
import { assertProperty } from '../../testing/fuzz.js';
import { parseDaemonJson } from './daemon-json.js';
import { DIRECTIVES } from './directives.js';
import { EXTRA_DIRECTIVES } from './extra-directives.js';
import { buildDaemonConfig } from './load.js';

// Mutated daemon.json through the parser and validator: valid, or an error naming a key — never an exception.

const PATH = '/etc/berth/daemon.json';
const keys = [...Object.keys(DIRECTIVES), ...Object.keys(EXTRA_DIRECTIVES)];
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, fc.string({ maxLength: 12 }));
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('', ' ', '-1', '1e309', 'unix:///x', 'tcp://[::1', '10.0.0.0/33', '\u0000', 'true', '🚢'),
  fc.integer(),
  fc.double(),
);

const build = (entries: Map<string, unknown>) =>
  buildDaemonConfig({
    flags: { configFile: PATH },
    systemdIsPid1: true,
    env: {},
    file: { path: PATH, entries },
  });

describe('daemon.json under fuzzed input', () => {
  it('odd values for real and made-up keys give an error naming the file and a key, never an exception', async () => {
    await assertProperty(
      fc.property(fc.dictionary(key, oddValue, { maxKeys: 4 }), (object) => {
        const entries = new Map(Object.entries(object));
        try {
          build(entries);
        } catch (err) {
          assert.ok(err instanceof BerthError, `not a BerthError: ${(err as Error)?.stack ?? String(err)}`);
          assert.ok(err.message.includes(PATH), err.message);
          const named = [...entries.keys()].some((k) => err.message.includes(k.split('.')[0] || k));
          assert.ok(named || entries.size === 0, `no key named in: ${err.message}`);
        }
      }),
      500,
    );
  });

  it('mutated JSON text is parsed or refused with the file named', async () => {
    const text = JSON.stringify({
      debug: true,
      'log-level': 'info',
      'insecure-registries': ['a:5000'],
      mtu: 1500,
    });
    const mutatedText = fc
      .record({
        cut: fc.nat({ max: text.length }),
        insert: fc.string({ unit: 'binary', maxLength: 4 }),
        at: fc.nat({ max: text.length }),
      })
      .map(({ cut, insert, at }) => {
        const s = text.slice(0, at) + insert + text.slice(at);
        return cut % 3 === 0 ? s.slice(0, cut) : s;
      });
    await assertProperty(
      fc.property(fc.oneof(mutatedText, fc.string({ unit: 'binary' })), (s) => {
        try {
          build(parseDaemonJson(PATH, Buffer.from(s)));
        } catch (err) {
          assert.ok(err instanceof BerthError, `not a BerthError: ${(err as Error)?.stack ?? String(err)}`);
          assert.ok(err.message.includes(PATH), err.message);
        }
      }),
      500,
    );
  });
});
