import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAptSources } from './host-tools.js';

describe('apt sources', () => {
  it('reads one-line sources, skipping comments and deb-src', () => {
    const text =
      '# comment\ndeb [arch=amd64] http://mirror.example/debian bookworm main\ndeb-src http://x/debian bookworm main\n';
    assert.deepEqual(parseAptSources(text, false), [
      { uri: 'http://mirror.example/debian', suites: ['bookworm'] },
    ]);
  });

  it('reads deb822 stanzas with several URIs and suites', () => {
    const text = [
      'Types: deb',
      '# http://snapshot.example/archive',
      'URIs: http://deb.debian.org/debian http://mirror.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      '',
      'Types: deb-src',
      'URIs: http://src.example/debian',
      'Suites: bookworm',
      '',
      'Types: deb',
      'Enabled: no',
      'URIs: http://off.example/debian',
      'Suites: bookworm',
    ].join('\n');
    assert.deepEqual(parseAptSources(text, true), [
      { uri: 'http://deb.debian.org/debian', suites: ['bookworm', 'bookworm-updates'] },
      { uri: 'http://mirror.example/debian', suites: ['bookworm', 'bookworm-updates'] },
    ]);
  });
});
