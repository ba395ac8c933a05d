import type { Logger } from '../../core/logger.js';

/** One answered registry request, as the audit trail keeps it. */
export interface AuditEvent {
  time: string;
  /** The user, or undefined for anonymous callers. */
  user: string | undefined;
  remoteAddress: string;
  method: string;
  /** The route pattern, e.g. `/v2/:name/manifests/:reference`. */
  route: string;
  repository?: string;
  /** Tag, digest or upload id from the URL. */
  target?: string;
  status: number;
  durationMs: number;
}

/** Where audit events go. Issue-9 governance stores them; the default logs them. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

/** Logs writes and failures at info and reads at debug. */
export function createLogAuditSink(logger: Logger): AuditSink {
  return {
    record(event) {
      const { time: _time, ...fields } = event;
      if (WRITES.has(event.method) || event.status >= 400) logger.info('audit', fields);
      else logger.debug('audit', fields);
    },
  };
}
