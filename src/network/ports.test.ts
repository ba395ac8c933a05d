import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { mappingsForExposedPorts, parsePortSpec, toDockerPortMap } from './ports.js';

describe('parsePortSpec', () => {
  const one = (containerPort: number, hostPort: number, hostIp = '', protocol = 'tcp') => ({
    containerPort,
    protocol,
    hostIp,
    hostPort,
  });

  it('reads the forms of -p', () => {
    assert.deepEqual(parsePortSpec('80'), [one(80, 0)]);
    assert.deepEqual(parsePortSpec('8080:80'), [one(80, 8080)]);
    assert.deepEqual(parsePortSpec('127.0.0.1:8080:80'), [one(80, 8080, '127.0.0.1')]);
    assert.deepEqual(parsePortSpec('127.0.0.1::80'), [one(80, 0, '127.0.0.1')]);
    assert.deepEqual(parsePortSpec('53:53/udp'), [one(53, 53, '', 'udp')]);
    assert.deepEqual(parsePortSpec('[::1]:8080:80/TCP'), [one(80, 8080, '::1')]);
  });

  it('expands equal ranges port by port', () => {
    assert.deepEqual(parsePortSpec('8000-8002:80-82'), [one(80, 8000), one(81, 8001), one(82, 8002)]);
    assert.deepEqual(parsePortSpec('80-81'), [one(80, 0), one(81, 0)]);
  });

  it('keeps a host range for a single container port (any free port of it)', () => {
    assert.deepEqual(parsePortSpec('8000-8010:80'), [{ ...one(80, 8000), hostPortEnd: 8010 }]);
  });

  it('refuses what Docker refuses', () => {
    for (const bad of [
      '',
      'abc',
      '0',
      '70000',
      '80/sctp',
      '1:2:3:4',
      '8000-8001:80-82',
      '300.1.1.1:80:80',
      '90-80',
    ]) {
      assert.throws(
        () => parsePortSpec(bad),
        (err) => isKind(err, 'InvalidArgument'),
        bad,
      );
    }
  });
});

describe('exposed ports and Docker port maps', () => {
  it('publishes every exposed port on a free host port for -P', () => {
    assert.deepEqual(mappingsForExposedPorts(['80/tcp', '53/udp', '7000-7001']), [
      { containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 0 },
      { containerPort: 53, protocol: 'udp', hostIp: '', hostPort: 0 },
      { containerPort: 7000, protocol: 'tcp', hostIp: '', hostPort: 0 },
      { containerPort: 7001, protocol: 'tcp', hostIp: '', hostPort: 0 },
    ]);
  });

  it('groups published ports by container port as inspect shows them', () => {
    const ports = [
      { containerPort: 80, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 8080 },
      { containerPort: 80, protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 8081 },
    ];
    assert.deepEqual(toDockerPortMap(ports), {
      '80/tcp': [
        { HostIp: '0.0.0.0', HostPort: '8080' },
        { HostIp: '127.0.0.1', HostPort: '8081' },
      ],
    });
  });
});
