/**
 * Control and format characters (NUL, BEL, zero-width and direction marks) have no place in a
 * name, an address or any other text a department keeps: the API refuses them in a corrected name
 * (`correctedName`, shared/record-changes.ts) and an import refuses them in every text field
 * (shared/importing.ts), so that no way in stores what another refuses. `lineBreaks` allows CR
 * and LF, for free text such as an address.
 */
const CONTROL_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}]/u;
const CONTROL_CHARACTER_BUT_LINE_BREAK = /(?![\r\n])[\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * The first control character in `text`, described ("U+0000 at character 2"), or undefined. A lone
 * half of a surrogate pair (a JSON escape such as "\ud800" gives one; \p{Cs} in a `u` pattern
 * matches only a half alone, never a whole pair such as 😀) is one too: it is no character, and no
 * store keeps it as given (UTF-8 cannot hold it), so it would read back as U+FFFD.
 */
export function controlCharacterIn(text: string, { lineBreaks = false } = {}): string | undefined {
  const found = (lineBreaks ? CONTROL_CHARACTER_BUT_LINE_BREAK : CONTROL_CHARACTER).exec(text);
  if (!found) return undefined;
  const codePoint = found[0].codePointAt(0)!;
  const lone = codePoint >= 0xd800 && codePoint <= 0xdfff ? ', half of a surrogate pair alone' : '';
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} at character ${[...text.slice(0, found.index)].length + 1}${lone}`;
}

/**
 * The caller's input as a message shows it: quoted, cut at 40 characters (a 100,000-character
 * "idNumber" is not echoed back whole), control and direction-changing characters escaped (so a
 * message cannot hide or reorder text on a screen).
 */
export function quoted(input: string): string {
  const cut = input.length > 40 ? `${input.slice(0, 40)}…` : input;
  return JSON.stringify(cut).replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` as a store keeps it, at most `max` characters long: counted in code points (as MySQL's
 * VARCHAR counts them), never cut between the two halves of a pair (😀 is two UTF-16 units), and a
 * lone half made U+FFFD. Neither SQLite nor MySQL stores a lone half as it was given: a value
 * hashed into the audit chain with one read back as something else, and the chain no longer
 * verified.
 */
export function storableText(text: string, max: number): string {
  const whole = text.replace(LONE_SURROGATE, '\ufffd');
  if (whole.length <= max) return whole;
  const points = Array.from(whole);
  return points.length <= max ? whole : points.slice(0, max).join('');
}
