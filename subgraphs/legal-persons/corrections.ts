import { correctedName, CorrectionDecided, decidedChange, requireCorrectionFields, requireObjectionAnswered } from '../../shared/record-changes';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkIdNumber } from '../../shared/identifiers';
import { judgeLegalPerson } from './import';
import { type LegalPerson, toLegalPerson } from './store';

/**
 * Market Regulation's corrections to its own records (correctLegalPerson): every value a load
 * writes, but the uscc that names the record. Each value is checked alone before the record is read
 * (checkCorrection), then the record it makes, inside the correction's transaction
 * (applyCorrection), by the import's own rules (import.ts): a correction cannot store what a load
 * would refuse. The representative's idNumber is checked for validity only, as an import does: the
 * person is Public Security's record, never looked up here.
 */
export interface LegalPersonCorrection {
  name?: string;
  status?: LegalPerson['status'];
  establishedOn?: string;
  enterpriseType?: string;
  registeredCapital?: number;
  businessScope?: string;
  registeredAddress?: string;
  legalRepresentativeIdNumber?: string;
  divisionCode?: string;
}
export type CorrectableValues = Omit<LegalPerson, 'uscc'>;

const CORRECTABLE = [
  'name', 'status', 'establishedOn', 'enterpriseType', 'registeredCapital', 'businessScope', 'registeredAddress', 'legalRepresentativeIdNumber', 'divisionCode',
] as const;
/** How the change log names what changed: LegalPerson's own field names (a new representative is legalRepresentative). */
const CHANGED_FIELDS: Record<keyof CorrectableValues, string> = {
  name: 'name', status: 'status', establishedOn: 'establishedOn', enterpriseType: 'enterpriseType', registeredCapital: 'registeredCapital',
  businessScope: 'businessScope', registeredAddress: 'registeredAddress', representativeIdNumber: 'legalRepresentative', divisionCode: 'division',
};
const NAME_LENGTH = 100;

/** Each value given, checked on its own. */
export function checkCorrection(input: Record<string, unknown>): LegalPersonCorrection {
  // Every value of a legal person's record is required: none can be removed.
  requireCorrectionFields(input, CORRECTABLE);
  const c = input as LegalPersonCorrection;
  return {
    ...c,
    ...(c.name !== undefined && { name: correctedName(c.name, NAME_LENGTH) }),
    ...(c.legalRepresentativeIdNumber !== undefined && {
      legalRepresentativeIdNumber: validArgument('correction.legalRepresentativeIdNumber', checkIdNumber(c.legalRepresentativeIdNumber)),
    }),
  };
}

/**
 * The values that change when `correction` is applied to `current`, and their field names: the
 * record they make together is judged as an import judges a line, so a correction stores nothing a
 * load would refuse (a county GB/T 2260 does not publish, a capital with too many decimals, a date
 * of establishment in the future). Answering an objection (`objectionId`), it changes every item it sets.
 */
export function applyCorrection(current: LegalPerson, correction: LegalPersonCorrection, objectionId: string | null = null): CorrectionDecided<Partial<CorrectableValues>> {
  const judged = judgeLegalPerson({
    uscc: current.uscc, name: current.name, status: current.status, establishedOn: current.establishedOn, enterpriseType: current.enterpriseType,
    registeredCapital: current.registeredCapital, businessScope: current.businessScope, registeredAddress: current.registeredAddress,
    legalRepresentativeIdNumber: current.representativeIdNumber, divisionCode: current.divisionCode, ...correction,
  });
  if (!judged.ok) throw badUserInput(`Invalid correction: ${judged.reasons.join('; ')}`, { argument: 'correction' });
  const next = toLegalPerson(judged.row);
  const changed = (Object.keys(CHANGED_FIELDS) as (keyof CorrectableValues)[]).filter((k) => next[k] !== current[k]);
  if (!changed.length) throw badUserInput(`nothing to correct: ${current.uscc} already has these values`, { argument: 'correction' });
  const decided = decidedChange(changed, current, next, CHANGED_FIELDS) as CorrectionDecided<Partial<CorrectableValues>>;
  requireObjectionAnswered(objectionId, correction, decided.fields, { ...CHANGED_FIELDS, legalRepresentativeIdNumber: 'legalRepresentative' });
  return decided;
}
