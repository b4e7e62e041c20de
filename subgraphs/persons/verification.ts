/**
 * 身份核验: whether `name` is the name registered for a person (`null` when no one holds the
 * number). Answers MATCH, MISMATCH or NOT_FOUND and discloses nothing else. The subgraph and the
 * bench's direct baseline both answer by it, so the two cannot drift apart.
 */
export type VerificationResult = 'MATCH' | 'MISMATCH' | 'NOT_FOUND';

export function verification(registered: { name: string } | null | undefined, name: string): VerificationResult {
  if (!registered) return 'NOT_FOUND';
  return registered.name === name.trim() ? 'MATCH' : 'MISMATCH';
}
