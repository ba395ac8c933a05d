import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Firewall } from './firewall.js';

describe('Firewall.render', () => {
  const firewall = new Firewall('T');
  const text = firewall.render({
    networks: [
      { bridge: 'bra', subnet: '10.1.0.0/24', internal: false, masquerade: true, icc: true },
      { bridge: 'bri', subnet: '10.2.0.0/24', internal: true, masquerade: true, icc: true },
      { bridge: 'brq', subnet: '10.3.0.0/24', internal: false, masquerade: false, icc: false },
    ],
    ports: [
      { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: '10.1.0.2', containerPort: 80 },
      { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerIp: '10.1.0.2', containerPort: 53 },
    ],
  });
  const lines = text.split('\n');

  it('writes only its own chains, declared so a restore replaces their content', () => {
    for (const line of lines.filter((l) => l.startsWith('-A '))) assert.match(line, /^-A T-/);
    for (const chain of [
      'T-FORWARD',
      'T-ISOLATION-STAGE-1',
      'T-ISOLATION-STAGE-2',
      'T-DNAT',
      'T-POSTROUTING',
    ]) {
      assert.ok(lines.includes(`:${chain} - [0:0]`), chain);
    }
  });

  it('drops what crosses an internal bridge before anything is accepted', () => {
    const firstAccept = lines.findIndex((l) => l.includes('-j ACCEPT'));
    assert.ok(lines.indexOf('-A T-FORWARD -i bri ! -o bri -j DROP') < firstAccept);
    assert.ok(lines.indexOf('-A T-FORWARD -o bri ! -i bri -j DROP') < firstAccept);
    assert.ok(!lines.some((l) => l.includes('T-ISOLATION-STAGE-1 -i bri')));
  });

  it('isolates bridges in two stages and honours icc and masquerade options', () => {
    assert.ok(lines.includes('-A T-ISOLATION-STAGE-1 -i bra ! -o bra -j T-ISOLATION-STAGE-2'));
    assert.ok(lines.includes('-A T-ISOLATION-STAGE-2 -o brq -j DROP'));
    assert.ok(lines.includes('-A T-FORWARD -i brq -o brq -j DROP'));
    assert.ok(lines.includes('-A T-POSTROUTING -s 10.1.0.0/24 ! -o bra -j MASQUERADE'));
    assert.ok(!lines.some((l) => l.includes('-s 10.3.0.0/24 ! -o brq')));
  });

  it('publishes ports with DNAT and masquerades hairpin and localhost connections', () => {
    assert.ok(lines.includes('-A T-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80'));
    assert.ok(
      lines.includes(
        '-A T-DNAT -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.1.0.2:53',
      ),
    );
    assert.ok(
      lines.includes('-A T-POSTROUTING -s 10.1.0.0/24 -o bra -m conntrack --ctstate DNAT -j MASQUERADE'),
    );
    assert.ok(lines.includes('-A T-POSTROUTING -s 127.0.0.0/8 -o bra -j MASQUERADE'));
  });
});
