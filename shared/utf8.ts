/** The longest beginning of `bytes` that is whole UTF-8 characters, decoded (a BOM kept, so that its bytes count). */
export function utf8Beginning(bytes: Uint8Array): string {
  const decode = (end: number) => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, end), { stream: true });
    } catch {
      return undefined;
    }
  };
  const whole = decode(bytes.length);
  if (whole !== undefined) return whole;
  // A beginning that is not UTF-8 stays so as it grows: search for the longest that is.
  let good = 0;
  let bad = bytes.length + 1;
  while (bad - good > 1) {
    const middle = (good + bad) >> 1;
    if (decode(middle) === undefined) bad = middle;
    else good = middle;
  }
  return decode(good)!;
}

/**
 * The offset of the first byte of `bytes` that is not UTF-8 (a sequence cut off at the end
 * included), or -1 when all of it is: found by the platform's strict decoder, not by hand.
 */
export function firstNonUtf8Offset(bytes: Uint8Array): number {
  const length = Buffer.byteLength(utf8Beginning(bytes));
  return length < bytes.length ? length : -1;
}
