import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fullConfig, goDuration, goQuoteList, goQuoteRune } from './go-format.js';
import { parseGoDuration } from './instructions.js';

describe('Go formatting in history entries', () => {
  it('formats as fmt.Sprintf("%q") and time.Duration.String() do', () => {
    assert.equal(goQuoteList(['sh', '-c', 'echo "hi"']), '["sh" "-c" "echo \\"hi\\""]');
    assert.equal(goQuoteList(null), '[]');
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(30e9), '30s');
    assert.equal(goDuration(300e9), '5m0s');
    assert.equal(goDuration(90.5e9), '1m30.5s');
    assert.equal(goDuration(3600e9), '1h0m0s');
    assert.equal(goDuration(1.5e6), '1.5ms');
    assert.equal(goQuoteRune(3), "'\\x03'");
    assert.equal(goQuoteRune(0), "'\\x00'");
    assert.equal(goQuoteRune(65), "'A'");
  });

  it('parses durations as time.ParseDuration', () => {
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('250ms'), 250e6);
    assert.equal(parseGoDuration('10'), undefined);
    assert.equal(parseGoDuration('5x'), undefined);
  });
});

describe('the image config as Docker writes it', () => {
  it('sorts the keys of labels, exposed ports and volumes as Go writes maps', () => {
    const config = fullConfig({
      Labels: { 'z.last': '1', 'a.first': '2', Mid: '3' },
      ExposedPorts: { '8080/tcp': {}, '443/tcp': {} },
      Volumes: { '/var': {}, '/data': {} },
    });
    assert.equal(
      JSON.stringify([config.Labels, config.ExposedPorts, config.Volumes]),
      '[{"Mid":"3","a.first":"2","z.last":"1"},{"443/tcp":{},"8080/tcp":{}},{"/data":{},"/var":{}}]',
    );
  });
});
