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

/** A request through fetch, its answer read as text and, where it is JSON, parsed (`json` undefined where not). */
export async function send(url: string, init: RequestInit): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
