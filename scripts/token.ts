import { Command, InvalidArgumentError } from 'commander';
import { Config, readConfig } from '../shared/config';
import { openStore, storeLocation } from '../shared/db';
import { checkIdNumber } from '../shared/identifiers';
import { issueDevToken } from '../gateway/auth/dev-tokens';
import { hasKeyPair } from '../shared/keys';
import { Consumer, createConsumerRegistry, SEED_CONSUMERS } from '../gateway/consumers';
import { gatewayStoreFound } from '../gateway/store';
import { exitOnWrongUsage } from './exit';

/**
 * `--lifetime`: a positive duration in the units jose's setExpirationTime reads (90s, 15m, 1h,
 * 2 days, 1w...); a bare number would be read as an absolute expiry time, a sign or "ago" would
 * issue a token already expired. At most a year: a development token is for trying the gateway,
 * and past Number's range (99999999999999999999y) jose would write `exp: null`, a token the gateway
 * refuses.
 */
function lifetime(value: string): string {
  const match = /^(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)$/i.exec(value.trim());
  // jose counts whole seconds, rounded: 0.4s would be a token that expires as it is issued.
  const seconds = match ? Math.round(Number(match[1]) * SECONDS_PER[match[2][0].toLowerCase()]) : NaN;
  if (!(seconds >= 1)) {
    throw new InvalidArgumentError('a positive duration of at least a second: a number and a unit (s, m, h, d, w, y), e.g. 90s, 15m, 1h, 7d');
  }
  if (!Number.isFinite(seconds) || seconds > MAX_LIFETIME_SECONDS) {
    throw new InvalidArgumentError('a development token lives at most a year (1y, 365d, 52w or 8766h; a year is 365.25 days): ask again for a new one when it expires');
  }
  return value.trim();
}

/** Seconds in each unit `lifetime` takes, by its first letter (as jose reads them; a year is 365.25 days). */
const SECONDS_PER: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_557_600 };
/** The longest `--lifetime`: a year, as jose counts it. */
const MAX_LIFETIME_SECONDS = SECONDS_PER.y;

/** `--citizen`: a valid idNumber, normalised (a lower-case x becomes X). */
function citizenIdNumber(value: string): string {
  const id = checkIdNumber(value);
  if (!id.ok) throw new InvalidArgumentError(id.reason);
  return id.value;
}

/** `npm run token -- <consumerId>`: a bearer token from the development identity provider. */
const program = new Command('token')
  .description('Print a development bearer token for a registered consumer, or for a citizen (--citizen).')
  .argument('[consumerId]', `a consumer in the gateway's registry: the seeded ones are ${SEED_CONSUMERS.map((c) => c.id).join(', ')}; one added with npm run consumers works too`)
  .option(
    '--citizen <idNumber>',
    "a citizen token whose subject is this person: it reads their own accessLog and recordChanges (who read and who changed their record), and raises and follows objections about their own record (raiseObjection, objections, objection); nothing else",
    citizenIdNumber,
  )
  .option('--lifetime <duration>', 'token lifetime, at most a year: a number and a unit (s, m, h, d, w, y), e.g. 15m, 1h, 7d', lifetime, '1h')
  .showHelpAfterError()
  .exitOverride(exitOnWrongUsage)
  .parse();

async function main() {
  const config = readConfig();
  if (!config.auth.devTokens) throw new Error('development tokens are off (ONESOURCE_DEV_TOKENS=false): tokens come from the identity provider');
  const { citizen, lifetime } = program.opts<{ citizen?: string; lifetime: string }>();
  const consumer = program.args[0];
  // Wrong usage exits 2 (exitOnWrongUsage), like every other command's.
  if (!citizen && !consumer) program.error(`name a consumer: ${SEED_CONSUMERS.map((c) => c.id).join(', ')}; or give --citizen <idNumber>`);
  if (citizen && consumer) program.error(`a token is for a consumer or for a citizen: give ${consumer} or --citizen, not both`);
  // A consumer the registry refuses is refused before anything is made (no key, no token).
  if (consumer) await requireRegistered(config, consumer);
  if (!hasKeyPair(config.dataDir, 'dev-idp')) {
    // The usual cause: a data directory other than the gateway's. Said now, not as a 401 later.
    console.error(
      `note: ${config.dataDir} held no development identity-provider key, so a new one was made there: ` +
        'only a gateway started with this same ONESOURCE_DATA_DIR accepts the token (any other answers "the signature does not verify")',
    );
  }
  console.log(await issueDevToken(config, citizen ? { citizen } : { consumer: consumer! }, lifetime));
}

/**
 * Refuses a consumer the gateway on these settings would refuse (401 "not a registered consumer"),
 * naming those it holds, and notes one it would refuse for now (suspended) or cannot be sure of.
 */
async function requireRegistered(config: Config, id: string): Promise<void> {
  const registration = await registrationOf(config, id);
  if (!registration.read) {
    if (registration.note) console.error(`note: ${registration.note}`);
    return;
  }
  if (!registration.consumer) {
    const ids = registration.registered.map((c) => c.id);
    throw new Error(
      `"${id}" is not a registered consumer in the gateway's store (${registration.where}), so the gateway would refuse its token: ` +
        `${ids.length ? `registered are ${ids.join(', ')}` : 'no consumer is registered yet'}; register it with npm run consumers -- add ${id} --name <name> --organisation <organisation>`,
    );
  }
  if (registration.consumer.status === 'SUSPENDED') console.error(`note: ${id} is suspended: the gateway refuses its requests until npm run consumers -- activate ${id}`);
}

type Registration = { read: true; consumer: Consumer | null; registered: Consumer[]; where: string } | { read: false; note?: string };

/**
 * What the gateway's consumer registry says of `id`, read from the store these settings name, as
 * the gateway on the same settings reads it. Read only: no store is created or migrated (a running
 * gateway's store is not changed under it). Where there is no store yet, or it cannot be read now,
 * the token is still issued (it is signed here, and the gateway may be elsewhere), with a note
 * unless the gateway's first start will register `id` itself (a seed consumer, seeding on).
 */
async function registrationOf(config: Config, id: string): Promise<Registration> {
  const { where } = storeLocation(config, 'gateway');
  try {
    const found = await gatewayStoreFound(config);
    if (found === 'none') {
      if (config.seedEmptyStores && SEED_CONSUMERS.some((c) => c.id === id)) return { read: false };
      return { read: false, note: `there is no gateway store at ${where} yet: the gateway accepts ${id} only once it is registered (npm run consumers -- add, after the gateway's first start)` };
    }
    if (found === 'foreign') return { read: false, note: `${where} is not a OneSource gateway store, so whether ${id} is registered could not be read` };
    const db = await openStore(config, 'gateway');
    try {
      const registered = await createConsumerRegistry(db).all();
      return { read: true, consumer: registered.find((c) => c.id === id) ?? null, registered, where };
    } finally {
      await db.destroy();
    }
  } catch (e) {
    return { read: false, note: `the gateway's consumer registry (${where}) could not be read (${(e as Error).message}), so whether ${id} is registered is not known` };
  }
}

main().catch((e) => {
  console.error(`token: ${e.message}`);
  process.exit(1);
});
