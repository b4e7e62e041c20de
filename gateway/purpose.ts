import { PURPOSE_MAX } from './audit/trail';
import { storableText } from '../shared/text';

/** Letters (any script: 审批 is two) a purpose needs to say what the data is for. */
const PURPOSE_MIN_LETTERS = 2;

/** What a refusal for want of a purpose asks for (a conditional field, another person's access log). */
export const STATE_PURPOSE = 'state the purpose of this request in the X-Purpose header, in words (at least two letters)';

/**
 * X-Purpose as the caller wrote it. A Chinese purpose arrives percent-encoded (browsers cannot put
 * it in a header otherwise) or as raw UTF-8 bytes (curl, most HTTP clients), which Node hands over
 * read as latin1, one character per byte: those are read again as UTF-8, or the audit trail would
 * record "å¹¶èå®¡æ¹" for 并联审批.
 */
export function purposeOf(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  let purpose = utf8Bytes(raw);
  try {
    purpose = decodeURIComponent(purpose);
  } catch {
    /* not percent-encoded: take it as it is */
  }
  return statedPurpose(purpose);
}

/**
 * A purpose as it is kept, or undefined when the text states none: the X-Purpose of a read and the
 * purpose of an application for a grant are held to one rule. Control, format and other
 * default-ignorable characters (a NUL, a zero-width space, a Hangul filler) say nothing and would sit unseen in the audit trail: a purpose made only of
 * them is no purpose. Nor is one without words ("-", "1234", "x"): the person whose data it is reads
 * it in their access log, and the owner decides an application on it.
 */
export function statedPurpose(text: string): string | undefined {
  // Default-ignorable code points too: a Hangul filler (U+3164) is a letter to \p{L}, and shows nothing.
  const purpose = storableText(text.replace(/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, '').trim(), PURPOSE_MAX);
  return inWords(purpose) ? purpose : undefined;
}

/** Whether `text` says something in words (at least two letters, in any script), as a purpose or a decision's reasons must. */
export function inWords(text: string): boolean {
  return (text.match(/\p{L}/gu)?.length ?? 0) >= PURPOSE_MIN_LETTERS;
}

/** A header value's bytes read as UTF-8, when they are UTF-8; as they came (latin1) otherwise. */
function utf8Bytes(header: string): string {
  if (!/[\u0080-\u00ff]/.test(header)) return header;
  const decoded = Buffer.from(header, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? header : decoded;
}
