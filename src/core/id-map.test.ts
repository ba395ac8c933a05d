import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorKind, isKind } from './errors.js';
import { IdMap } from './id-map.js';

describe('IdMap', () => {
  // Two ranges, as two /etc/subuid lines for one user give.
  const map = new IdMap(
    [
      { containerID: 0, hostID: 100000, size: 1000 },
      { containerID: 1000, hostID: 500000, size: 10 },
    ],
    [{ containerID: 0, hostID: 200000, size: 65536 }],
  );

  it('maps the root and IDs in every range to host IDs and back', () => {
    assert.deepEqual(map.root, { uid: 100000, gid: 200000 });
    assert.deepEqual(map.toHost(1005, 7), { uid: 500005, gid: 200007 });
    assert.deepEqual(map.toContainer(500005, 200007), { uid: 1005, gid: 7 });
  });

  it("refuses IDs outside the ranges with dockerd's message", () => {
    assert.throws(
      () => map.toHost(1010, 0),
      (err: unknown) =>
        isKind(err, ErrorKind.InvalidArgument) &&
        (err as Error).message === 'Container ID 1010 cannot be mapped to a host ID',
    );
    assert.throws(() => map.toContainer(0, 200000), /Host ID 0 cannot be mapped to a container ID/);
  });
});
