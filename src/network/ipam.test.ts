import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { AddressAllocator, allocateSubnet, DEFAULT_ADDRESS_POOLS, planIpv4 } from './ipam.js';
import { formatSubnet, parseSubnet } from './ipv4.js';

describe('subnet allocation', () => {
  it('takes the first pool subnet that overlaps nothing taken', () => {
    const taken = ['172.17.0.0/16', '172.18.5.0/24'].map(parseSubnet);
    assert.equal(formatSubnet(allocateSubnet(DEFAULT_ADDRESS_POOLS, taken)), '172.19.0.0/16');
  });

  it('carves pools into subnets of the pool size', () => {
    const pools = [{ base: '10.9.0.0/16', size: 24 }];
    assert.equal(formatSubnet(allocateSubnet(pools, [parseSubnet('10.9.0.0/23')])), '10.9.2.0/24');
  });

  it('is Unavailable when every pool is used', () => {
    const pools = [{ base: '10.9.0.0/24', size: 24 }];
    assert.throws(
      () => allocateSubnet(pools, [parseSubnet('10.0.0.0/8')]),
      (err) => isKind(err, 'Unavailable'),
    );
  });

  it('checks a user subnet, gateway and range', () => {
    assert.deepEqual(planIpv4({ subnet: '10.5.0.7/24' }, []), { subnet: '10.5.0.0/24', gateway: '10.5.0.1' });
    assert.deepEqual(
      planIpv4({ subnet: '10.5.0.0/24', gateway: '10.5.0.254', ipRange: '10.5.0.128/25' }, []),
      {
        subnet: '10.5.0.0/24',
        gateway: '10.5.0.254',
        ipRange: '10.5.0.128/25',
      },
    );
    assert.throws(
      () => planIpv4({ subnet: '10.5.0.0/24' }, [parseSubnet('10.5.0.0/16')]),
      (e) => isKind(e, 'PermissionDenied'),
    );
    assert.throws(
      () => planIpv4({ subnet: '10.5.0.0/24', gateway: '10.6.0.1' }, []),
      (e) => isKind(e, 'InvalidArgument'),
    );
    assert.throws(
      () => planIpv4({ subnet: '10.5.0.0/24', ipRange: '10.6.0.0/25' }, []),
      (e) => isKind(e, 'InvalidArgument'),
    );
  });
});

describe('AddressAllocator', () => {
  it('allocates serially from the range, skipping the gateway, and does not reuse a released address at once', () => {
    const allocator = new AddressAllocator({ subnet: '10.5.0.0/29', gateway: '10.5.0.1' });
    assert.deepEqual([allocator.allocate(), allocator.allocate()], ['10.5.0.2', '10.5.0.3']);
    allocator.release('10.5.0.2');
    assert.equal(allocator.allocate(), '10.5.0.4');
    assert.deepEqual(
      [allocator.allocate(), allocator.allocate(), allocator.allocate()],
      ['10.5.0.5', '10.5.0.6', '10.5.0.2'],
    );
    assert.throws(
      () => allocator.allocate(),
      (err) => isKind(err, 'Unavailable'),
    );
  });

  it('keeps dynamic addresses in the ip-range but accepts a static one anywhere in the subnet', () => {
    const allocator = new AddressAllocator({
      subnet: '10.5.0.0/24',
      gateway: '10.5.0.1',
      ipRange: '10.5.0.128/25',
    });
    assert.equal(allocator.allocate(), '10.5.0.128');
    allocator.reserve('10.5.0.9');
    assert.throws(
      () => allocator.reserve('10.5.0.9'),
      (err) => isKind(err, 'PermissionDenied'),
    );
    for (const bad of ['10.5.0.1', '10.5.0.0', '10.5.0.255', '10.6.0.2']) {
      assert.throws(
        () => allocator.reserve(bad),
        (err) => isKind(err, 'InvalidArgument'),
        bad,
      );
    }
  });
});
