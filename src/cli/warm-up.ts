/**
 * A `berth run` against an in-memory daemon, for the start-up snapshot
 * (scripts/bundle-cli.mjs). V8 keeps in the snapshot the code of the
 * functions that ran while it was built; others compile on every start.
 * Running the run path once at build time compiles it (commander's parse,
 * the client, the stream machinery), which was most of what a cold
 * `berth run` spent in JavaScript. Nothing here touches the process's
 * standard streams or signals: those must not be in a snapshot.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { useConnector } from './unix-http.js';

const CONTAINER_ID = '0'.repeat(64);
const HEADERS = 'Api-Version: 1.45\r\nContent-Type: application/json\r\n';

/** What the daemon's connections share: the attach and wait that the start ends. */
interface FakeContainer {
  attach?: FakeConnection;
  wait?: FakeConnection;
}

/** One connection to the in-memory daemon: answers the run sequence as berthd would, at once. */
class FakeConnection extends Duplex {
  private received = '';

  constructor(private readonly container: FakeContainer) {
    super();
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.received += chunk.toString('latin1');
    const end = this.received.indexOf('\r\n\r\n');
    const length = Number(/content-length: (\d+)/i.exec(this.received)?.[1] ?? 0);
    if (end >= 0 && this.received.length >= end + 4 + length) {
      const request = this.received.slice(0, end);
      this.received = '';
      queueMicrotask(() => this.answer(request));
    }
    callback();
  }

  private answer(request: string): void {
    const path = request.split(' ')[1] ?? '';
    if (path === '/_ping') this.push(`HTTP/1.1 200 OK\r\n${HEADERS}Content-Length: 0\r\n\r\n`);
    else if (path.includes('/containers/create')) {
      const body = JSON.stringify({ Id: CONTAINER_ID, Warnings: [] });
      this.push(`HTTP/1.1 201 Created\r\n${HEADERS}Content-Length: ${body.length}\r\n\r\n${body}`);
    } else if (path.includes('/attach')) {
      this.container.attach = this;
      this.push('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    } else if (path.includes('/wait')) {
      this.container.wait = this;
      this.push(`HTTP/1.1 200 OK\r\n${HEADERS}Transfer-Encoding: chunked\r\n\r\n`);
    } else if (path.includes('/start')) {
      this.push(`HTTP/1.1 204 No Content\r\n${HEADERS}\r\n`);
      setImmediate(() => {
        const body = '{"StatusCode":0}\n';
        this.container.attach?.push(null);
        this.container.wait?.push(`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
      });
    } else this.push(`HTTP/1.1 404 Not Found\r\n${HEADERS}Content-Length: 0\r\n\r\n`);
  }
}

/** Runs `berth run --rm busybox true` through `main` against the in-memory daemon. */
export async function warmUp(main: (argv: string[]) => Promise<number>): Promise<void> {
  const container: FakeContainer = {};
  const restore = useConnector(() => new FakeConnection(container) as unknown as Socket);
  try {
    const code = await main([
      '-H',
      'unix:///berth-warm-up.sock',
      'run',
      '--rm',
      '--sig-proxy=false',
      'busybox',
      'true',
    ]);
    if (code !== 0) throw new Error(`the warm-up run exited ${code}`);
  } finally {
    restore();
  }
}
