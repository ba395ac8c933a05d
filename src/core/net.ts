import { connect } from 'node:net';

/** Whether something accepts connections on a Unix socket path right now. */
export function socketAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
