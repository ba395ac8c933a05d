import { inject as lightInject } from 'light-my-request';
import type { HttpApp } from './app.js';

export interface InjectResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  json(): any;
}

/** Sends a request through the app without a socket, for tests. */
export async function inject(
  app: HttpApp,
  options: { method: string; url: string; headers?: Record<string, string>; payload?: string | Buffer },
): Promise<InjectResponse> {
  const res = await lightInject(app.handler, {
    method: options.method as 'GET',
    url: options.url,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  });
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    body: res.body,
    json: () => JSON.parse(res.body),
  };
}
