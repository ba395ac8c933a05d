import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeHosts, parseDaemonHost } from './hosts.js';
import { checkDnsSearch, checkIpAddress, parseCidr } from './network.js';
import { validateInsecureRegistry, validateMirror } from './registry.js';

describe('parseDaemonHost', () => {
  it('normalises like dockerd', () => {
    const cases: [string, string][] = [
      ['unix:///run/x.sock', 'unix:///run/x.sock'],
      ['unix://', 'unix:///run/berth.sock'],
      ['tcp://', 'tcp://localhost:2375'],
      ['tcp://:2376', 'tcp://localhost:2376'],
      ['tcp://0.0.0.0', 'tcp://0.0.0.0:2375'],
      ['tcp://host.example:1234', 'tcp://host.example:1234'],
      ['tcp://[::1]:2376', 'tcp://[::1]:2376'],
      ['tcp://localhost:', 'tcp://localhost:2375'],
      ['127.0.0.1:2376', 'tcp://127.0.0.1:2376'],
      ['fd://', 'fd://'],
      ['fd://3', 'fd://3'],
      [' unix:///x.sock ', 'unix:///x.sock'],
    ];
    for (const [input, expected] of cases) assert.equal(parseDaemonHost(input), expected, input);
  });

  it('rejects bad addresses with the reason', () => {
    const cases: [string, RegExp][] = [
      ['udp://1.2.3.4:5', /unsupported proto 'udp'/],
      ['tcp://1.2.3.4:0', /invalid port: 0/],
      ['tcp://1.2.3.4:99999', /invalid port/],
      ['tcp://1.2.3.4:x', /invalid port: x/],
      ['tcp://1.2.3.4:5/path', /path element/],
      ['tcp://::1:2375', /brackets/],
      ['tcp://[zz]:1', /invalid IPv6/],
      ['unix://tcp://x', /invalid unix address/],
      ['npipe:////./pipe/x', /unsupported proto 'npipe'/],
    ];
    for (const [input, reason] of cases) assert.throws(() => parseDaemonHost(input), reason, input);
  });

  it('sorts, de-duplicates and drops empty entries', () => {
    assert.deepEqual(normalizeHosts(['unix://', 'tcp://:2376', '', 'unix:///run/berth.sock']), [
      'tcp://localhost:2376',
      'unix:///run/berth.sock',
    ]);
  });
});

describe('validateMirror', () => {
  it('accepts http(s) URLs and adds the trailing slash', () => {
    assert.equal(validateMirror('https://mirror.example.com'), 'https://mirror.example.com/');
    assert.equal(validateMirror('http://10.0.0.1:5000/'), 'http://10.0.0.1:5000/');
  });

  it('rejects what dockerd rejects', () => {
    const cases: [string, RegExp][] = [
      ['mirror.example.com', /no scheme specified/],
      ['mirror.example.com:5000', /no scheme specified/],
      ['ftp://mirror.example.com', /unsupported scheme "ftp"/],
      ['https://mirror.example.com/v2/', /path, query, or fragment/],
      ['https://mirror.example.com/?x=1', /path, query, or fragment/],
      ['https://mirror.example.com/#top', /path, query, or fragment/],
      ['https://user:secret@mirror.example.com', /username\/password not allowed/],
      ['https://', /not a valid URI/],
    ];
    for (const [input, reason] of cases) assert.throws(() => validateMirror(input), reason, input);
    assert.throws(
      () => validateMirror('https://user:secret@m.example.com'),
      (err: Error) => {
        assert.ok(!err.message.includes('secret'), 'the password must not be echoed');
        return true;
      },
    );
  });
});

describe('validateInsecureRegistry', () => {
  it('accepts host[:port], IPs and CIDRs, stripping an http(s) scheme', () => {
    const cases: [string, string][] = [
      ['registry.local:5000', 'registry.local:5000'],
      ['registry.local', 'registry.local'],
      ['10.0.0.0/8', '10.0.0.0/8'],
      ['fd00::/8', 'fd00::/8'],
      ['[::1]:5000', '[::1]:5000'],
      ['192.168.1.10:5000', '192.168.1.10:5000'],
      ['http://registry.local:5000', 'registry.local:5000'],
      ['HTTPS://registry.local', 'registry.local'],
      ['index.docker.io', 'docker.io'],
    ];
    for (const [input, expected] of cases) assert.equal(validateInsecureRegistry(input), expected, input);
  });

  it('rejects what dockerd rejects', () => {
    const cases: [string, RegExp][] = [
      ['-registry.local', /Cannot begin or end with a hyphen/],
      ['registry.local-', /Cannot begin or end with a hyphen/],
      ['ftp://registry.local', /should not contain ':\/\/'/],
      ['registry.local/path', /invalid host/],
      ['registry.local:99999', /invalid port/],
      ['reg_istry.local', /invalid host/],
      ['10.0.0.0/33', /prefix length/],
    ];
    for (const [input, reason] of cases) assert.throws(() => validateInsecureRegistry(input), reason, input);
  });
});

describe('network checks', () => {
  it('parses CIDRs like netip.ParsePrefix', () => {
    assert.deepEqual(parseCidr('172.17.0.1/16'), { address: '172.17.0.1', bits: 16, family: 4 });
    assert.deepEqual(parseCidr('fd00::/64'), { address: 'fd00::', bits: 64, family: 6 });
    for (const bad of [
      '172.17.0.1',
      '172.17.0.1/33',
      '172.17.0.1/016',
      '300.1.1.1/8',
      'fe80::1%eth0/64',
      '/8',
    ]) {
      assert.throws(() => parseCidr(bad), /invalid CIDR/, bad);
    }
  });

  it('checks IP addresses and search domains', () => {
    checkIpAddress('8.8.8.8');
    checkIpAddress('2001:4860:4860::8888');
    for (const bad of ['8.8.8', 'dns.google', '[::1]', '1.1.1.1 ']) {
      assert.throws(() => checkIpAddress(bad), /IP address is not correctly formatted/, bad);
    }
    for (const good of ['example.com', 'corp.example.com.', '.', 'a-b.example']) checkDnsSearch(good);
    for (const bad of ['-bad.example', '123', 'bad..example', 'under_score.example']) {
      assert.throws(() => checkDnsSearch(bad), /not a valid domain/, bad);
    }
  });
});
