import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { silentLogger } from '../../core/logger.js';
import { addressAnswer, type DnsDecider } from './answer.js';
import { type DnsServer, startDnsServer, withLength } from './server.js';

const decide: DnsDecider = async (_client, question) => {
  if (question.name === 'web') return { kind: 'answer', answers: [addressAnswer('web', '10.1.0.2')] };
  if (question.name === 'intruder') return { kind: 'refuse' };
  if (question.name === 'nowhere') return { kind: 'forward', upstreams: [] };
  return { kind: 'nxdomain' };
};

const query = (name: string, id: number) =>
  packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] });

function askUdp(port: number, message: Buffer): Promise<packet.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.on('message', (answer) => {
      socket.close();
      resolve(packet.decode(answer));
    });
    socket.send(message, port, '127.0.0.1');
  });
}

function askTcp(port: number, messages: Buffer[]): Promise<packet.DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    const answers: packet.DecodedPacket[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        answers.push(packet.decode(received.subarray(2, 2 + received.readUInt16BE(0))));
        received = received.subarray(2 + received.readUInt16BE(0));
      }
      if (answers.length === messages.length) {
        socket.end();
        resolve(answers.sort((a, b) => (a.id ?? 0) - (b.id ?? 0)));
      }
    });
    // Both messages in one write: the server must split them by their length prefixes.
    socket.write(Buffer.concat(messages.map(withLength)));
  });
}

describe('DNS server', () => {
  let server: DnsServer;
  let port = 0;

  before(async () => {
    for (port = 20000 + Math.floor(Math.random() * 20000); ; port++) {
      try {
        server = await startDnsServer({ address: '127.0.0.1', port, decide, logger: silentLogger });
        return;
      } catch {
        // Port taken on UDP or TCP: try the next one.
      }
    }
  });

  after(async () => {
    await server?.close();
  });

  it('answers over UDP with the query ID, recursion flags and the records', async () => {
    const answer = await askUdp(port, query('web', 7));
    assert.equal(answer.id, 7);
    assert.equal(answer.type, 'response');
    assert.ok(answer.flag_rd && answer.flag_ra);
    assert.deepEqual(
      answer.answers?.map((a) => ('data' in a ? a.data : undefined)),
      ['10.1.0.2'],
    );
  });

  /** The response code: the low four bits of the flags (5 REFUSED, 3 NXDOMAIN, 2 SERVFAIL). */
  const rcodeOf = (answer: packet.DecodedPacket) => (answer.flags ?? 0) & 0xf;

  it('says REFUSED, NXDOMAIN and SERVFAIL when it should', async () => {
    assert.equal(rcodeOf(await askUdp(port, query('intruder', 1))), 5);
    assert.equal(rcodeOf(await askUdp(port, query('missing', 2))), 3);
    assert.equal(rcodeOf(await askUdp(port, query('nowhere', 3))), 2);
  });

  it('answers length-prefixed messages over TCP', async () => {
    const answers = await askTcp(port, [query('web', 11), query('missing', 12)]);
    assert.deepEqual(
      answers.map((a) => [a.id, rcodeOf(a)]),
      [
        [11, 0],
        [12, 3],
      ],
    );
  });
});
