import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { NameTable } from './dns/names.js';
import { findNetwork, matchesFilters, newNetworkRecord } from './records.js';
import type { Endpoint } from './types.js';

describe('network records', () => {
  const a = { ...newNetworkRecord({ name: 'app', labels: { tier: 'web' } }), id: 'abc123'.padEnd(64, '0') };
  const b = { ...newNetworkRecord({ name: 'db' }), id: 'abd456'.padEnd(64, '0') };

  it('finds by ID, name and unique ID prefix', () => {
    assert.equal(findNetwork([a, b], 'app'), a);
    assert.equal(findNetwork([a, b], b.id), b);
    assert.equal(findNetwork([a, b], 'abc'), a);
    assert.throws(
      () => findNetwork([a, b], 'ab'),
      (err) => isKind(err, 'Conflict'),
    );
    assert.throws(
      () => findNetwork([a, b], 'nope'),
      (err) => isKind(err, 'NotFound'),
    );
  });

  it('refuses names Docker refuses', () => {
    assert.throws(
      () => newNetworkRecord({ name: '-bad' }),
      (err) => isKind(err, 'InvalidArgument'),
    );
    assert.throws(
      () => newNetworkRecord({ name: 'a b' }),
      (err) => isKind(err, 'InvalidArgument'),
    );
  });

  it('filters like docker network ls', () => {
    assert.ok(matchesFilters(a, { name: ['pp'], label: ['tier'], type: ['custom'] }, 0));
    assert.ok(matchesFilters(a, { label: ['tier=web'], dangling: true }, 0));
    assert.ok(!matchesFilters(a, { label: ['tier=db'] }, 0));
    assert.ok(!matchesFilters(a, { dangling: true }, 2));
    assert.ok(!matchesFilters(a, { type: ['builtin'] }, 0));
    assert.ok(matchesFilters(b, { id: ['abd'], driver: ['bridge'] }, 0));
  });
});

describe('NameTable', () => {
  const endpoint = (networkId: string, containerId: string, ip: string, names: string[]): Endpoint => ({
    networkId,
    networkName: networkId,
    containerId,
    containerName: names[0],
    aliases: [],
    dnsNames: names,
    ifName: 'eth0',
    netnsPath: '',
    ipAddress: ip,
    prefixLength: 24,
    gateway: '',
    macAddress: '',
    ports: [],
    dnsServers: [],
    defaultRoute: false,
  });
  const table = new NameTable();
  const web = endpoint('front', 'c1', '10.1.0.2', ['web']);
  table.add(web);
  table.add(endpoint('back', 'c1', '10.2.0.2', ['web']));
  table.add(endpoint('back', 'c2', '10.2.0.3', ['db', 'DATA']));
  table.add(endpoint('back', 'c3', '10.2.0.4', ['data']));

  it('answers names case-insensitively, with every endpoint of an alias', () => {
    assert.deepEqual(table.lookup('back', undefined, 'Data.'), ['10.2.0.3', '10.2.0.4']);
    assert.deepEqual(table.lookup('back', undefined, 'db.back'), ['10.2.0.3']);
  });

  it('searches the client network first, then its container’s other networks', () => {
    assert.deepEqual(table.lookup('front', web, 'web'), ['10.1.0.2']);
    assert.deepEqual(table.lookup('front', web, 'db'), ['10.2.0.3']);
    assert.deepEqual(table.lookup('front', undefined, 'db'), []);
    assert.equal(table.reverse('front', web, '10.2.0.3'), 'db.back');
  });

  it('forgets removed endpoints', () => {
    table.remove('back', 'c2');
    assert.deepEqual(table.lookup('back', undefined, 'db'), []);
  });
});
