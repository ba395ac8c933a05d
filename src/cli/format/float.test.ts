import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloat } from './float.js';
import { formatNumber } from './values.js';

describe('formatFloat', () => {
  it('picks the shortest digits for %v and %g', () => {
    assert.equal(formatFloat(0.1, 'g', -1), '0.1');
    assert.equal(formatFloat(100000, 'g', -1), '100000');
    assert.equal(formatFloat(1e6, 'g', -1), '1e+06');
    assert.equal(formatFloat(123456789, 'g', -1), '1.23456789e+08');
    assert.equal(formatFloat(1.5e9, 'g', -1), '1.5e+09');
    assert.equal(formatFloat(0.0001, 'g', -1), '0.0001');
    assert.equal(formatFloat(0.00001, 'g', -1), '1e-05');
    assert.equal(formatFloat(1e100, 'g', -1), '1e+100');
    assert.equal(formatFloat(0, 'g', -1), '0');
    assert.equal(formatFloat(5e-324, 'g', -1), '5e-324');
  });

  it('rounds fixed precisions from the exact binary value', () => {
    assert.equal(formatFloat(2.675, 'f', 2), '2.67');
    assert.equal(formatFloat(0.125, 'f', 2), '0.12');
    assert.equal(formatFloat(0.375, 'f', 2), '0.38');
    assert.equal(formatFloat(2.5, 'f', 0), '2');
    assert.equal(formatFloat(3.5, 'f', 0), '4');
    assert.equal(formatFloat(9.999, 'f', 2), '10.00');
    assert.equal(formatFloat(0.006, 'f', 2), '0.01');
    assert.equal(formatFloat(0.0001, 'f', 2), '0.00');
    assert.equal(formatFloat(1e21, 'f', 1), '1000000000000000000000.0');
  });

  it('formats exponents with at least two digits', () => {
    assert.equal(formatFloat(123456.789, 'e', 6), '1.234568e+05');
    assert.equal(formatFloat(0.000123, 'E', 2), '1.23E-04');
    assert.equal(formatFloat(0, 'e', 3), '0.000e+00');
    assert.equal(formatFloat(1e-100, 'e', -1), '1e-100');
  });

  it('formats %g with a precision', () => {
    assert.equal(formatFloat(1234.5678, 'g', 3), '1.23e+03');
    assert.equal(formatFloat(4.14159, 'g', 4), '4.142');
    assert.equal(formatFloat(0.0001234, 'g', 3), '0.000123');
    assert.equal(formatFloat(1, 'g', 3), '1');
    assert.equal(formatFloat(1e-10, 'G', -1), '1E-10');
  });

  it('handles signs and special values', () => {
    assert.equal(formatFloat(-1.5, 'g', -1), '-1.5');
    assert.equal(formatFloat(Number.NaN, 'g', -1), 'NaN');
    assert.equal(formatFloat(Number.POSITIVE_INFINITY, 'f', 2), '+Inf');
    assert.equal(formatFloat(Number.NEGATIVE_INFINITY, 'e', -1), '-Inf');
  });
});

describe('formatNumber', () => {
  it('prints integers as Go ints and others as floats', () => {
    assert.equal(formatNumber(42), '42');
    assert.equal(formatNumber(-7), '-7');
    assert.equal(formatNumber(2 ** 53), '9007199254740992');
    assert.equal(formatNumber(1e21), '1e+21');
    assert.equal(formatNumber(2.5), '2.5');
  });
});
