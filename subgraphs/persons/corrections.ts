import { correctedName, CorrectionDecided, decidedChange, invalidCorrection as invalid, requireCorrectionFields, requireObjectionAnswered } from '../../shared/record-changes';
import { badUserInput } from '../../shared/errors';
import { idNumberFacts } from '../../shared/identifiers';
import { today } from '../../shared/identifiers';
import { judgeNaturalPerson } from './import';
import { type NaturalPerson, toNaturalPerson } from './store';

/**
 * Public Security's corrections to its own records (correctNaturalPerson). Values are checked in
 * two steps: each value alone before the record is read (checkCorrection), then the record they
 * make together, inside the correction's transaction (applyCorrection). The rules are those of
 * an import (import.ts): a record that disagrees with its own idNumber is refused, not stored.
 */
export type CorrectableValues = Omit<NaturalPerson, 'idNumber'>;
export type NaturalPersonCorrection = Partial<CorrectableValues>;

/** In the order the change log lists them. */
const CORRECTABLE = ['name', 'gender', 'birthDate', 'status', 'deceasedOn', 'householdAddress', 'householdDivisionCode', 'mobilePhone'] as const;
/** Those a record may be without: a date of death (status ALIVE removes it anyway), a mobile phone. */
const REMOVABLE: readonly string[] = ['deceasedOn', 'mobilePhone'];
/** How the change log names what changed: NaturalPerson's own field names. */
const CHANGED_FIELDS: Partial<Record<keyof CorrectableValues, string>> = { householdDivisionCode: 'householdDivision' };
const NAME_LENGTH = 32;


/** A date of an event already past (the Date scalar has refused one the calendar does not have). */
function checkDate(field: string, value: string): void {
  if (value > today()) throw invalid(field, `${value} is in the future`);
}

/** Each value given, checked on its own and against the idNumber (GB 11643 carries birth date and gender). */
export function checkCorrection(idNumber: string, input: Record<string, unknown>): NaturalPersonCorrection {
  requireCorrectionFields(input, CORRECTABLE, REMOVABLE);
  const c = input as NaturalPersonCorrection;
  const facts = idNumberFacts(idNumber);
  const correction: NaturalPersonCorrection = { ...c };
  if (c.name != null) correction.name = correctedName(c.name, NAME_LENGTH);
  if (c.gender != null && c.gender !== facts.gender) throw invalid('gender', `${c.gender} disagrees with the idNumber, which says ${facts.gender}`);
  if (c.birthDate != null) {
    checkDate('birthDate', c.birthDate);
    if (c.birthDate !== facts.birthDate) throw invalid('birthDate', `${c.birthDate} disagrees with the idNumber, which says ${facts.birthDate}`);
  }
  if (c.deceasedOn != null) checkDate('deceasedOn', c.deceasedOn);
  return correction;
}

/**
 * The values that change when `correction` is applied to `current`, and their field names; refuses
 * a record that would not hold together and a correction that changes nothing, or, answering an
 * objection (`objectionId`), one that leaves an item it sets as it was.
 */
export function applyCorrection(current: NaturalPerson, correction: NaturalPersonCorrection, objectionId: string | null = null): CorrectionDecided<NaturalPersonCorrection> {
  const next: CorrectableValues = {
    name: correction.name ?? current.name,
    gender: correction.gender ?? current.gender,
    birthDate: correction.birthDate ?? current.birthDate,
    status: correction.status ?? current.status,
    deceasedOn: correction.deceasedOn !== undefined ? correction.deceasedOn : current.deceasedOn,
    householdAddress: correction.householdAddress ?? current.householdAddress,
    householdDivisionCode: correction.householdDivisionCode ?? current.householdDivisionCode,
    mobilePhone: correction.mobilePhone !== undefined ? correction.mobilePhone : current.mobilePhone,
  };
  if (next.status === 'ALIVE') {
    if (correction.deceasedOn) {
      throw invalid('deceasedOn', `a date of death is given but the person's status ${correction.status ? 'is corrected to' : 'is'} ALIVE: correct status to DECEASED with it`);
    }
    next.deceasedOn = null; // a living person has no date of death
  }
  if (next.status === 'DECEASED' && !next.deceasedOn) throw invalid('deceasedOn', 'status DECEASED needs deceasedOn, the date of death');
  if (next.deceasedOn && next.deceasedOn < next.birthDate) {
    throw invalid('deceasedOn', `the date of death ${next.deceasedOn} is before the birth date ${next.birthDate}`);
  }
  // The whole record, as an import judges a line: a county GB/T 2260 publishes, a mobile phone of 11 digits.
  const judged = judgeNaturalPerson({ idNumber: current.idNumber, ...next });
  if (!judged.ok) throw badUserInput(`Invalid correction: ${judged.reasons.join('; ')}`, { argument: 'correction' });
  const judgedNext = toNaturalPerson(judged.row);
  const changed = CORRECTABLE.filter((k) => judgedNext[k] !== current[k]);
  if (!changed.length) throw badUserInput(`nothing to correct: ${current.idNumber} already has these values`, { argument: 'correction' });
  const decided = decidedChange(changed, current, judgedNext, CHANGED_FIELDS) as CorrectionDecided<NaturalPersonCorrection>;
  requireObjectionAnswered(objectionId, correction, decided.fields, CHANGED_FIELDS);
  return decided;
}
