import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkEnvOf, parseLink } from './links.js';

describe('legacy links', () => {
  it('parses links as docker does', () => {
    assert.deepEqual(parseLink('db:database'), { name: 'db', alias: 'database' });
    assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
    // inspect's form, as a container's HostConfig copied back into a create gives it.
    assert.deepEqual(parseLink('/db:/web/database'), { name: 'db', alias: 'database' });
    assert.throws(() => parseLink(''), { message: 'empty string specified for links' });
    assert.throws(() => parseLink('a:b:c'), { message: 'bad format for links: a:b:c' });
  });

  it("gives dockerd's variables: the lowest port, each port, runs of ports, the name and the child's env", () => {
    const env = linkEnvOf(
      '/web/my-db',
      '172.17.0.2',
      ['PATH=/bin', 'HOME=/root', 'PASSWORD=secret', 'NOVALUE'],
      ['5432/tcp', '53/udp', '8001/tcp', '8000/tcp'],
    );
    assert.deepEqual(env, [
      'MY_DB_PORT=tcp://172.17.0.2:5432',
      'MY_DB_PORT_5432_TCP=tcp://172.17.0.2:5432',
      'MY_DB_PORT_5432_TCP_ADDR=172.17.0.2',
      'MY_DB_PORT_5432_TCP_PORT=5432',
      'MY_DB_PORT_5432_TCP_PROTO=tcp',
      'MY_DB_PORT_8000_TCP=tcp://172.17.0.2:8000',
      'MY_DB_PORT_8000_TCP_ADDR=172.17.0.2',
      'MY_DB_PORT_8000_TCP_PORT=8000',
      'MY_DB_PORT_8000_TCP_PROTO=tcp',
      'MY_DB_PORT_8001_TCP=tcp://172.17.0.2:8001',
      'MY_DB_PORT_8001_TCP_ADDR=172.17.0.2',
      'MY_DB_PORT_8001_TCP_PORT=8001',
      'MY_DB_PORT_8001_TCP_PROTO=tcp',
      'MY_DB_PORT_53_UDP=udp://172.17.0.2:53',
      'MY_DB_PORT_53_UDP_ADDR=172.17.0.2',
      'MY_DB_PORT_53_UDP_PORT=53',
      'MY_DB_PORT_53_UDP_PROTO=udp',
      // The run 8000-8001 ends at the next port that does not follow it.
      'MY_DB_PORT_8000_TCP_START=tcp://172.17.0.2:8000',
      'MY_DB_PORT_8000_TCP_PORT_START=8000',
      'MY_DB_PORT_8000_TCP_END=tcp://172.17.0.2:8001',
      'MY_DB_PORT_8000_TCP_PORT_END=8001',
      'MY_DB_NAME=/web/my-db',
      'MY_DB_ENV_PASSWORD=secret',
    ]);
  });

  it('closes a run of ports at the last port', () => {
    const env = linkEnvOf('/p/c', '10.0.0.2', [], ['80/tcp', '81/tcp']);
    assert.deepEqual(env.slice(-5), [
      'C_PORT_80_TCP_START=tcp://10.0.0.2:80',
      'C_PORT_80_TCP_PORT_START=80',
      'C_PORT_80_TCP_END=tcp://10.0.0.2:81',
      'C_PORT_80_TCP_PORT_END=81',
      'C_NAME=/p/c',
    ]);
    assert.deepEqual(linkEnvOf('/p/c', '10.0.0.2', [], []), ['C_NAME=/p/c']);
  });
});
