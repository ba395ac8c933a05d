import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { addFilter, filtersJson, parseFilters, validateFilterFlag } from './filters.js';

describe('filter flags', () => {
  it('trims and lower-cases keys, trims values, and sorts the JSON', () => {
    const args = parseFilters([' Reference = busybox ', 'dangling=true', 'label=a=b']);
    addFilter(args, 'reference', 'alpine');
    assert.equal(
      filtersJson(args),
      '{"dangling":{"true":true},"label":{"a=b":true},"reference":{"alpine":true,"busybox":true}}',
    );
    assert.equal(filtersJson(parseFilters([])), undefined);
  });

  it('refuses a flag without "=" as a usage error', () => {
    assert.throws(() => validateFilterFlag('bogus', []), InvalidArgumentError);
    assert.deepEqual(validateFilterFlag('a=b', ['c=d']), ['c=d', 'a=b']);
  });
});
