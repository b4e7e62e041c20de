import { Lexer, Source, TokenKind } from 'graphql';
import { PERSONAL_DIGITS } from '../shared/personal-digits';

/**
 * Values written into a query's text that may be personal data, which the gateway keeps out of its
 * caches and records (persisted queries, recorded operations): every string (an idNumber, a name),
 * and every integer too large for GraphQL's Int. Such an integer can only be an ID written as
 * digits, which GraphQL accepts: an idNumber without its X is 18 of them. Page sizes and other
 * Int values are smaller, and are kept.
 */
const INT_MAX = 2_147_483_647;

/** Whether an integer literal, as written, is too large to be an Int (so it is an identifier). */
export function identifierDigits(literal: string): boolean {
  return Math.abs(Number(literal)) > INT_MAX;
}

/**
 * Whether a query's text holds such a value, or what free text may carry of a person where no value
 * is written: an identifier's run of digits (`PERSONAL_DIGITS`) in a comment, or in a name (an alias
 * `p35062919490601186X`). A comment's words are not judged: the playground's own operations label
 * each department in Chinese (`# 发展改革 projects`). Text that cannot be read counts as holding one.
 */
export function holdsPersonalLiteral(query: string): boolean {
  const lexer = new Lexer(new Source(query));
  try {
    for (let token = lexer.advance(); ; token = lexer.advance()) {
      // The lexer passes over comments, but keeps them linked before the token that follows them.
      for (let before = token.prev; before?.kind === TokenKind.COMMENT; before = before.prev) if (PERSONAL_DIGITS.test(before.value)) return true;
      if (token.kind === TokenKind.EOF) return false;
      if (token.kind === TokenKind.STRING || token.kind === TokenKind.BLOCK_STRING) return true;
      if (token.kind === TokenKind.INT && identifierDigits(token.value)) return true;
      if (token.kind === TokenKind.NAME && PERSONAL_DIGITS.test(token.value)) return true;
    }
  } catch {
    return true;
  }
}
