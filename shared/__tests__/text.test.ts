import { correctedName } from '../record-changes';
import { controlCharacterIn, storableText } from '../text';

describe('controlCharacterIn', () => {
  it('finds control and format characters, and lone halves of surrogate pairs, but not whole pairs', () => {
    expect(controlCharacterIn('林\u0000')).toBe('U+0000 at character 2');
    expect(controlCharacterIn('a\u200bb')).toBe('U+200B at character 2');
    expect(controlCharacterIn('\ud800林')).toBe('U+D800 at character 1, half of a surrogate pair alone');
    expect(controlCharacterIn('😀林\udc00', { lineBreaks: true })).toBe('U+DC00 at character 3, half of a surrogate pair alone');
    expect(controlCharacterIn('林😀\r\n地', { lineBreaks: true })).toBeUndefined();
    expect(controlCharacterIn('林\n')).toBe('U+000A at character 2');
  });

  it('makes a correction through a GraphQL variable (which graphql-js does not check for lone surrogates) refuse one too', () => {
    expect(() => correctedName('\ud800林', 32)).toThrow(/a name cannot contain control characters \(U\+D800 at character 1, half of a surrogate pair alone\)/);
    expect(correctedName(' 林😀 ', 32)).toBe('林😀');
  });

  it('leaves storableText as it was: a lone half becomes U+FFFD', () => {
    expect(storableText('\ud800林', 10)).toBe('\ufffd林');
  });
});
