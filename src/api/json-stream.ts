import { messageOf, statusOf } from './errors.js';
import type { Reply } from './http/reply.js';

/**
 * A JSON-lines response (§3.4 of the API notes: load, import, pull
 * progress): one JSON object per line, each flushed as it is written. The
 * status line and headers go out with the first line, so until then a
 * failure can still be an ordinary error response.
 */
export class JsonLineStream {
  private started = false;

  constructor(
    private readonly reply: Reply,
    private readonly headers: Record<string, string>,
  ) {
    reply.hijack();
  }

  /** Whether the 200 and at least one line have been sent. */
  get hasStarted(): boolean {
    return this.started;
  }

  /** Sends one message as a line. */
  write(message: object): void {
    const res = this.reply.raw;
    if (res.destroyed || res.writableEnded) return;
    if (!this.started) this.start();
    res.write(`${JSON.stringify(message)}\n`);
  }

  /**
   * Reports a failure: in-band as an `errorDetail` line once the stream has
   * started (or when `inBand` asks for it, as dockerd's load always does),
   * otherwise as an error response with the error's status.
   */
  fail(err: unknown, options: { inBand?: boolean } = {}): void {
    const message = messageOf(err);
    if (this.started || options.inBand) {
      this.write({ errorDetail: { message }, error: message });
      this.end();
      return;
    }
    const res = this.reply.raw;
    if (res.destroyed || res.headersSent) return;
    res.writeHead(statusOf(err), { ...this.headers, 'Content-Type': 'application/json' });
    res.end(`${JSON.stringify({ message })}\n`);
  }

  /** Ends the response (sending the headers if nothing was written). */
  end(): void {
    const res = this.reply.raw;
    if (res.writableEnded || res.destroyed) return;
    if (!this.started) this.start();
    res.end();
  }

  private start(): void {
    this.started = true;
    this.reply.raw.writeHead(200, { ...this.headers, 'Content-Type': 'application/json' });
  }
}

/** An AbortSignal that fires when the client goes away before the response is complete. */
export function clientGone(reply: Reply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}
