import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Digest } from '../core/digest.js';
import { chainIds, shortId } from './chain.js';

// The layered fixture's diff IDs, and the chain IDs dockerd 20.10 reported deleting for it.
const DIFF_IDS: Digest[] = [
  'sha256:0707da2002b2aa3a57b1bbdf236ddaafd5a678a54adc7d0cdef6e64cedd4207a',
  'sha256:ebcebeaaba8a69381ecf2831a24651ba03401839540a6e2646bb701f61491102',
  'sha256:269952645288f0f0ae7bd994b444f38389225d71a67f2fe3483e5589d225bbb6',
];

describe('chain IDs', () => {
  it('start with the bottom diff ID and chain the rest as dockerd does', () => {
    assert.deepEqual(chainIds(DIFF_IDS), [
      DIFF_IDS[0],
      'sha256:437cc8a6068207a5657c75cffc9f9f6834ba36e6b99648b63116c958deadca94',
      'sha256:ca8fe1e6bde57d1b10f9ca251986f5470fcf85f21c00e779f13cc30a022428a5',
    ]);
    assert.deepEqual(chainIds([]), []);
  });

  it('shortens IDs to 12 hex characters without the algorithm', () => {
    assert.equal(shortId(DIFF_IDS[0]!), '0707da2002b2');
    assert.equal(shortId('0707da2002b2aa3a'), '0707da2002b2');
  });
});
