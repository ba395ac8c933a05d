import { StatusError } from '../../errors.js';

/** docker's --restart value: "no", "always", "unless-stopped", "on-failure[:max-retries]" (opts.ParseRestartPolicy). */
export function parseRestartPolicy(value: string): { Name: string; MaximumRetryCount: number } {
  if (value === '') return { Name: '', MaximumRetryCount: 0 };
  const [name = '', count, ...rest] = value.split(':');
  if (rest.length > 0)
    throw new StatusError(`invalid restart policy format: maximum retry count must be an integer`, 125);
  if (count === undefined) return { Name: name, MaximumRetryCount: 0 };
  if (!/^-?\d+$/.test(count))
    throw new StatusError('invalid restart policy format: maximum retry count must be an integer', 125);
  return { Name: name, MaximumRetryCount: Number(count) };
}
