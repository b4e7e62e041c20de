import { correctedName, invalidCorrection as invalid } from '../../shared/record-changes';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkIdNumber } from '../../shared/identifiers';
import type { LegalPerson } from './store';

/**
 * Market Regulation's corrections to its own records (correctLegalPerson). Each value is checked
 * alone before the record is read (checkCorrection), then compared with the record inside the
 * correction's transaction (applyCorrection). The representative's idNumber is checked for
 * validity only, as an import does: the person is Public Security's record, never looked up here.
 */
export interface LegalPersonCorrection {
  name?: string;
  status?: LegalPerson['status'];
  legalRepresentativeIdNumber?: string;
}
export type CorrectableValues = Pick<LegalPerson, 'name' | 'status' | 'representativeIdNumber'>;

const CORRECTABLE = ['name', 'status', 'legalRepresentativeIdNumber'] as const;
/** How the change log names what changed: LegalPerson's own field names. */
const CHANGED_FIELDS: Record<keyof CorrectableValues, string> = { name: 'name', status: 'status', representativeIdNumber: 'legalRepresentative' };
const NAME_LENGTH = 100;


/** Each value given, checked on its own. */
export function checkCorrection(input: Record<string, unknown>): LegalPersonCorrection {
  const unknown = Object.keys(input).filter((k) => !(CORRECTABLE as readonly string[]).includes(k));
  if (unknown.length) throw badUserInput(`correction has no field ${unknown.join(', ')}: it corrects ${CORRECTABLE.join(', ')}`, { argument: 'correction' });
  const given = CORRECTABLE.filter((k) => input[k] !== undefined);
  if (!given.length) throw badUserInput('nothing to correct: the correction names no field', { argument: 'correction' });
  // A legal person always has a name, a status and a representative: none can be removed.
  for (const k of given) if (input[k] === null) throw invalid(k, `${k} cannot be removed, only corrected to another value`);
  const c = input as LegalPersonCorrection;
  return {
    ...c,
    ...(c.name !== undefined && { name: correctedName(c.name, NAME_LENGTH) }),
    ...(c.legalRepresentativeIdNumber !== undefined && {
      legalRepresentativeIdNumber: validArgument('correction.legalRepresentativeIdNumber', checkIdNumber(c.legalRepresentativeIdNumber)),
    }),
  };
}

/** The values that change when `correction` is applied to `current`, and their field names. */
export function applyCorrection(current: LegalPerson, correction: LegalPersonCorrection): { values: Partial<CorrectableValues>; fields: string[] } {
  const next: CorrectableValues = {
    name: correction.name ?? current.name,
    status: correction.status ?? current.status,
    representativeIdNumber: correction.legalRepresentativeIdNumber ?? current.representativeIdNumber,
  };
  const changed = (Object.keys(next) as (keyof CorrectableValues)[]).filter((k) => next[k] !== current[k]);
  if (!changed.length) throw badUserInput(`nothing to correct: ${current.uscc} already has these values`, { argument: 'correction' });
  return { values: Object.fromEntries(changed.map((k) => [k, next[k]])), fields: changed.map((k) => CHANGED_FIELDS[k]) };
}
