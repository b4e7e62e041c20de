import type { SubjectPositions } from '../policy/enforce';

/**
 * Whose reads an answer's errors made partial, for each person's own outcome in the audit trail
 * (`partial_subjects`): the guard says where it read each person (places), and, in an answer with
 * errors, where in it each person was found (positions).
 */

/** Marks a place in the answer that is one item of a root list (`verifyNaturalPersons.3`): its index counts. */
const ITEM = '#';

/** The place of one item of a root list of answers, each about the person its request named. */
export const listItemPlace = (field: string, index: number) => `${ITEM}${field}.${index}`;

/**
 * The subjects an error is about: those read at or above its path. A place is the response path
 * where a person was read, without list indices, or one item of a root list of answers (`ITEM`),
 * each about the person its request named. Where the answer says at which list items a person was
 * found (`positions`), an error counts against the person at its own item only: a credit that
 * failed for the third project's representative leaves the other forty-nine read whole. Otherwise
 * (a person named by a cursor) it counts against every person the place holds. An error without a
 * path is about the whole request.
 */
export function partlyRead(
  errors: readonly { path?: readonly (string | number)[] }[],
  places: ReadonlyMap<string, ReadonlySet<string>>,
  positions: SubjectPositions | undefined,
): Set<string> {
  const partly = new Set<string>();
  if (!errors.length) return partly;
  const at = errors.map((e) => (e.path?.length ? { exact: e.path.join('.'), free: e.path.filter((p) => typeof p === 'string').join('.') } : null));
  const under = (path: string, place: string) => path === place || path.startsWith(`${place}.`);
  const hits = (e: { exact: string; free: string }, subject: string, place: string) => {
    if (place.startsWith(ITEM)) return under(ITEM + e.exact, place);
    const found = positions?.get(place)?.get(subject);
    return found?.length ? found.some((exact) => under(e.exact, exact)) : under(e.free, place);
  };
  for (const [subject, placesOf] of places) {
    if (at.some((e) => !e || [...placesOf].some((place) => hits(e, subject, place)))) partly.add(subject);
  }
  return partly;
}
