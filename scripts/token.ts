import { Command, InvalidArgumentError } from 'commander';
import { readConfig } from '../shared/config';
import { checkIdNumber } from '../shared/identifiers';
import { issueDevToken } from '../gateway/auth/dev-tokens';
import { hasKeyPair } from '../shared/keys';
import { SEED_CONSUMERS } from '../gateway/consumers';
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
  if (!hasKeyPair(config.dataDir, 'dev-idp')) {
    // The usual cause: a data directory other than the gateway's. Said now, not as a 401 later.
    console.error(
      `note: ${config.dataDir} held no development identity-provider key, so a new one was made there: ` +
        'only a gateway started with this same ONESOURCE_DATA_DIR accepts the token (any other answers "the signature does not verify")',
    );
  }
  if (citizen) {
    console.log(await issueDevToken(config, { citizen }, lifetime));
    return;
  }
  if (!SEED_CONSUMERS.some((c) => c.id === consumer)) {
    console.error(`note: ${consumer} is not a seed consumer; the gateway accepts it only if it is registered`);
  }
  console.log(await issueDevToken(config, { consumer: consumer! }, lifetime));
}

main().catch((e) => {
  console.error(`token: ${e.message}`);
  process.exit(1);
});
