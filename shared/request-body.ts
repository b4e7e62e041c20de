import type { IncomingMessage } from 'node:http';
import { firstNonUtf8Offset } from './utf8';

/**
 * Why a request body could not be read: it is larger than allowed, it never arrived whole, or it is
 * not UTF-8 (`offset`: the first byte that is not, counted from 0).
 */
export class BodyProblem extends Error {
  constructor(
    readonly kind: 'too-large' | 'cut-off' | 'not-utf8',
    readonly maxBytes: number,
    readonly offset?: number,
  ) {
    super(
      kind === 'too-large'
        ? `The request body is larger than the limit of ${maxBytes} bytes`
        : kind === 'cut-off'
          ? 'The request body was cut off'
          : `The request body is not valid UTF-8${offset !== undefined && offset >= 0 ? ` (the first bad byte is at offset ${offset})` : ''}: send JSON encoded as UTF-8`,
    );
  }
}

/**
 * Strict: a byte that is not UTF-8 is refused, never read as U+FFFD (a name sent in GBK would
 * otherwise arrive as "���" and be checked as such). A byte order mark at the start is dropped.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body's bytes as text, or `not-utf8` naming the first byte that is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, maxBytes: number): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new BodyProblem('not-utf8', maxBytes, firstNonUtf8Offset(bytes));
  }
}

/**
 * The whole request body as UTF-8 text, at most `maxBytes`. A declared Content-Length over the
 * limit is refused before a byte is read; a body that grows past it stops being kept at once.
 * On a refusal the rest of the body is drained, so the connection stays usable for the answer.
 * A body that is not UTF-8 is refused (`not-utf8`), not read with replacement characters.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const refuse = (problem: BodyProblem) => {
      req.removeAllListeners('data');
      req.resume();
      reject(problem);
    };
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) return refuse(new BodyProblem('too-large', maxBytes));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) refuse(new BodyProblem('too-large', maxBytes));
      else chunks.push(chunk);
    });
    req.once('end', () => {
      try {
        resolve(decodeUtf8(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), maxBytes));
      } catch (e) {
        reject(e);
      }
    });
    req.once('error', () => reject(new BodyProblem('cut-off', maxBytes)));
  });
}
