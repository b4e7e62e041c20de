import type { IncomingMessage } from 'node:http';

/** Why a request body could not be read: it is larger than allowed, or it never arrived whole. */
export class BodyProblem extends Error {
  constructor(
    readonly kind: 'too-large' | 'cut-off',
    readonly maxBytes: number,
  ) {
    super(kind === 'too-large' ? `The request body is larger than the limit of ${maxBytes} bytes` : 'The request body was cut off');
  }
}

/**
 * The whole request body as UTF-8 text, at most `maxBytes`. A declared Content-Length over the
 * limit is refused before a byte is read; a body that grows past it stops being kept at once.
 * On a refusal the rest of the body is drained, so the connection stays usable for the answer.
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
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => reject(new BodyProblem('cut-off', maxBytes)));
  });
}
