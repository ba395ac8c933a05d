import { readLog } from '../logs/k8s-file.js';

/** The stdout and stderr text a container's k8s-file log holds. */
export async function logOutput(logPath: string): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  for await (const record of readLog(logPath)) out[record.stream].push(record.content);
  return { stdout: Buffer.concat(out.stdout).toString(), stderr: Buffer.concat(out.stderr).toString() };
}

/** Resolves with everything `stream` yields until it ends, as text. */
export async function collect(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString();
}

/** Polls `predicate` until it holds or `timeoutMs` passes. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
