import { connect } from 'node:net';

/** Sends bytes as they are (no HTTP client would send them) and reads the answer until the server closes. */
export function raw(port: number, request: Buffer): Promise<{ head: string; json: any }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      try {
        resolve({ head: text.slice(0, split + 2), json: JSON.parse(text.slice(split + 4)) });
      } catch {
        reject(new Error(`not a JSON answer: ${text.slice(0, 300)}`));
      }
    });
  });
}
