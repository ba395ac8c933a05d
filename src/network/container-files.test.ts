import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { type ContainerFilesSpec, renderContainerResolvConf, renderHosts } from './container-files.js';
import { parseResolvConf, readHostResolvConf } from './dns/resolv-conf.js';

const host = {
  nameservers: ['192.0.2.53', '127.0.0.1'],
  search: ['example.internal'],
  options: ['timeout:2'],
};
const spec = (extra: Partial<ContainerFilesSpec>): ContainerFilesSpec => ({
  hostname: 'web',
  mode: 'bridge',
  hostResolvConf: host,
  ...extra,
});

describe('/etc/hosts', () => {
  it('has the localhost lines, --add-host entries and the container address with its hostname', () => {
    const text = renderHosts(
      spec({
        ipAddress: '10.1.0.2',
        domainname: 'corp',
        extraHosts: ['db:10.9.9.9', 'gw=host-gateway'],
        hostGatewayIp: '10.0.0.1',
      }),
    );
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], '127.0.0.1\tlocalhost');
    assert.deepEqual(lines.slice(-3), ['10.9.9.9\tdb', '10.0.0.1\tgw', '10.1.0.2\tweb.corp web']);
  });

  it('has no address line for none and the host file for host mode', () => {
    assert.doesNotMatch(renderHosts(spec({ mode: 'none' })), /\tweb/);
    assert.equal(
      renderHosts(spec({ mode: 'host', hostHosts: '127.0.0.1 localhost\n', extraHosts: ['x:1.2.3.4'] })),
      '127.0.0.1 localhost\n1.2.3.4\tx\n',
    );
  });

  it('refuses a malformed --add-host', () => {
    assert.throws(
      () => renderHosts(spec({ extraHosts: ['nocolon'] })),
      (err) => isKind(err, 'InvalidArgument'),
    );
  });
});

describe('/etc/resolv.conf', () => {
  it('points a user network container at its gateway with ndots:0', () => {
    const text = renderContainerResolvConf(spec({ networkNameserver: '10.1.0.1' }));
    assert.deepEqual(parseResolvConf(text), {
      nameservers: ['10.1.0.1'],
      search: ['example.internal'],
      options: ['ndots:0', 'timeout:2'],
    });
  });

  it('gives the default bridge the host resolvers a container can reach, or the --dns ones', () => {
    assert.deepEqual(parseResolvConf(renderContainerResolvConf(spec({}))).nameservers, ['192.0.2.53']);
    const custom = spec({ dns: ['1.1.1.1'], dnsSearch: ['a.example'], dnsOptions: ['ndots:2'] });
    assert.deepEqual(parseResolvConf(renderContainerResolvConf(custom)), {
      nameservers: ['1.1.1.1'],
      search: ['a.example'],
      options: ['ndots:2'],
    });
  });

  it('falls back to public resolvers when the host has only loopback ones', () => {
    const loopbackOnly = spec({ hostResolvConf: { nameservers: ['127.0.0.53'], search: [], options: [] } });
    assert.deepEqual(parseResolvConf(renderContainerResolvConf(loopbackOnly)).nameservers, [
      '8.8.8.8',
      '8.8.4.4',
    ]);
  });
});

describe('reading the host resolv.conf', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-resolv-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the systemd-resolved upstream file when resolv.conf only names the stub', async () => {
    await writeFile(join(dir, 'stub'), '# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n');
    await writeFile(join(dir, 'upstream'), 'nameserver 192.0.2.1\nnameserver 192.0.2.2\n');
    assert.deepEqual(await readHostResolvConf(join(dir, 'stub'), join(dir, 'upstream')), {
      nameservers: ['192.0.2.1', '192.0.2.2'],
      search: ['lan'],
      options: ['edns0', 'trust-ad'],
    });
  });

  it('keeps an ordinary resolv.conf as it is', async () => {
    await writeFile(join(dir, 'plain'), 'nameserver 192.0.2.9 # ours\ndomain corp\n');
    assert.deepEqual(await readHostResolvConf(join(dir, 'plain'), join(dir, 'missing')), {
      nameservers: ['192.0.2.9'],
      search: ['corp'],
      options: [],
    });
  });
});
