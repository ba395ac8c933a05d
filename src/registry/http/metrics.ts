/** Gauges read when /metrics is scraped. */
export interface MetricGauges {
  uploadSessions: number;
  storageBytes: number;
  storageBlobs: number;
}

/** Counters of one registry process, rendered in the Prometheus text format (0.0.4). */
export interface RegistryMetrics {
  /** One answered request: its route pattern, method, status and bytes each way. */
  request(route: string, method: string, status: number, bytesIn: number, bytesOut: number): void;
  /** One GC run and what it freed. */
  gcRun(outcome: 'ok' | 'error', blobsDeleted: number, bytesFreed: number): void;
  render(gauges: MetricGauges): string;
}

/** Fresh, zeroed counters. */
export function createRegistryMetrics(): RegistryMetrics {
  const requests = new Map<string, number>();
  const gcRuns = new Map<string, number>();
  let bytesIn = 0;
  let bytesOut = 0;
  let gcBlobs = 0;
  let gcBytes = 0;
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  return {
    request(route, method, status, inBytes, outBytes) {
      add(requests, `route="${escapeLabel(route)}",method="${method}",status="${status}"`);
      bytesIn += inBytes;
      bytesOut += outBytes;
    },
    gcRun(outcome, blobsDeleted, bytesFreed) {
      add(gcRuns, `outcome="${outcome}"`);
      gcBlobs += blobsDeleted;
      gcBytes += bytesFreed;
    },
    render(gauges) {
      return [
        ...family('berth_registry_http_requests_total', 'counter', 'HTTP requests answered.', requests),
        ...single(
          'berth_registry_http_request_bytes_total',
          'counter',
          'Request body bytes received.',
          bytesIn,
        ),
        ...single(
          'berth_registry_http_response_bytes_total',
          'counter',
          'Response body bytes sent.',
          bytesOut,
        ),
        ...single(
          'berth_registry_upload_sessions',
          'gauge',
          'Open blob upload sessions.',
          gauges.uploadSessions,
        ),
        ...family('berth_registry_gc_runs_total', 'counter', 'Garbage collection runs.', gcRuns),
        ...single('berth_registry_gc_deleted_blobs_total', 'counter', 'Blobs deleted by GC.', gcBlobs),
        ...single('berth_registry_gc_freed_bytes_total', 'counter', 'Bytes freed by GC.', gcBytes),
        ...single('berth_registry_storage_bytes', 'gauge', 'Bytes of blobs stored.', gauges.storageBytes),
        ...single('berth_registry_storage_blobs', 'gauge', 'Blobs stored.', gauges.storageBlobs),
        '',
      ].join('\n');
    },
  };
}

function family(name: string, type: string, help: string, values: Map<string, number>): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...[...values].map(([l, v]) => `${name}{${l}} ${v}`),
  ];
}

function single(name: string, type: string, help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
}

const escapeLabel = (value: string) => value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n');
