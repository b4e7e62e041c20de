import { BodyProblem, decodeUtf8 } from '../request-body';
import { firstNonUtf8Offset as firstNonUtf8Byte } from '../utf8';

/** Request bodies are read as strict UTF-8: a byte that is not is refused naming where, never read as U+FFFD. */
describe('a request body’s UTF-8', () => {
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

  it('reads UTF-8 as it is, and drops a byte order mark at the start only', () => {
    expect(decodeUtf8(bytes('{"name":"黄振坤 😀"}'), 100)).toBe('{"name":"黄振坤 😀"}');
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], '{}'), 100)).toBe('{}');
    expect(decodeUtf8(bytes('{}', [0xef, 0xbb, 0xbf]), 100)).toBe('{}\ufeff');
    expect(firstNonUtf8Byte(bytes('黄振坤 😀 \u07ff \uffff \u{10ffff}'))).toBe(-1);
  });

  it('refuses 黄振坤 in GBK, naming the offset of its first byte', () => {
    const gbk = bytes('{"name":"', [0xbb, 0xc6, 0xd5, 0xf1, 0xc0, 0xa4], '"}');
    let problem: unknown;
    try {
      decodeUtf8(gbk, 100);
    } catch (e) {
      problem = e;
    }
    expect(problem).toBeInstanceOf(BodyProblem);
    expect(problem).toMatchObject({ kind: 'not-utf8', offset: 9 });
    expect((problem as Error).message).toBe('The request body is not valid UTF-8 (the first bad byte is at offset 9): send JSON encoded as UTF-8');
    // The decoder is shared: a refusal leaves nothing behind for the next body.
    expect(decodeUtf8(bytes('{"n":"黄"}'), 100)).toBe('{"n":"黄"}');
  });

  it('finds each kind of bad UTF-8 where it starts', () => {
    expect(firstNonUtf8Byte(bytes('ab', [0x80]))).toBe(2); // a stray continuation byte
    expect(firstNonUtf8Byte(bytes('a', [0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstNonUtf8Byte(bytes('a', [0xe0, 0x80, 0xaf]))).toBe(1); // overlong in three bytes
    expect(firstNonUtf8Byte(bytes('a', [0xed, 0xa0, 0x80]))).toBe(1); // a surrogate
    expect(firstNonUtf8Byte(bytes('a', [0xf4, 0x90, 0x80, 0x80]))).toBe(1); // past U+10FFFF
    expect(firstNonUtf8Byte(bytes('黄', [0xe9, 0xbb]))).toBe(3); // cut off at the end
    expect(firstNonUtf8Byte(bytes('黄', [0xe9, 0x41, 0x41]))).toBe(3); // a lead byte without its continuations
    expect(firstNonUtf8Byte(bytes('a', [0xff]))).toBe(1);
  });
});
