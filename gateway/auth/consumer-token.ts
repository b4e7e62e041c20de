import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, JWTPayload, KeyLike } from 'jose';
import type { Config } from '../../shared/config';
import { identityProviderUnavailable } from '../../shared/errors';
import { checkIdNumber } from '../../shared/identifiers';
import { keysUnreachable } from '../../shared/internal-token';
import { loadPublicKey } from '../../shared/keys';
import type { Consumer, ConsumerRegistry } from '../consumers';
import type { Principal } from '../context';

/** Claim that marks a token as a citizen's own (subject = their idNumber), not a consumer system's. */
export const CITIZEN_ROLE_CLAIM = 'onesource_role';

export type Authenticate = (authorization: string | undefined) => Promise<Principal>;

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * Verifies `Authorization: Bearer <JWT>` (ES256 from the dev IdP key, or any of the IdP's JWKS keys
 * in production): signature, issuer, audience, expiry. `alg: none` and HMAC are never accepted.
 * The subject must be a registered, active consumer, or a citizen token for a valid idNumber.
 */
/** How long the registry's answer about a consumer is trusted. */
export const REGISTRY_CACHE_MS = 5_000;

export async function createAuthenticator(config: Config, registry: ConsumerRegistry): Promise<Authenticate> {
  // Development tokens off (production) and no identity provider: a development key left in the
  // data directory would still be trusted, and every token `npm run token` ever made with it.
  if (!config.auth.jwksUrl && !config.auth.devTokens) {
    throw new Error('no identity provider to check consumer tokens with: set ONESOURCE_JWKS_URL to its key set (JWKS), or ONESOURCE_DEV_TOKENS=true for development tokens');
  }
  const key: KeyLike | Uint8Array | ReturnType<typeof createRemoteJWKSet> = config.auth.jwksUrl
    ? createRemoteJWKSet(new URL(config.auth.jwksUrl))
    : await loadPublicKey(config.dataDir, 'dev-idp');
  const algorithms = config.auth.jwksUrl ? ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] : ['ES256'];
  const devKey = !config.auth.jwksUrl;

  // A system sends the same token for many requests: its signature is checked once, and the
  // result kept until the token expires. The registry's answer is kept for a few seconds (a
  // suspension takes effect within REGISTRY_CACHE_MS); an unknown subject is asked again each time,
  // so a newly registered system is served at once.
  const verified = new Map<string, JWTPayload>();
  const verify = async (token: string): Promise<JWTPayload> => {
    const hit = verified.get(token);
    if (hit && (hit.exp as number) * 1000 > Date.now()) return hit;
    const { payload } = await jwtVerify(token, key as KeyLike, {
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      algorithms,
      requiredClaims: ['sub', 'exp'],
      clockTolerance: 5,
    });
    if (verified.size >= 10_000) verified.clear();
    verified.set(token, payload);
    return payload;
  };

  const consumers = new Map<string, { consumer: Consumer; until: number }>();
  const registered = async (id: string): Promise<Consumer | null> => {
    const hit = consumers.get(id);
    if (hit && hit.until > Date.now()) return hit.consumer;
    const consumer = await registry.byId(id);
    if (consumers.size >= 10_000) consumers.clear();
    if (consumer) consumers.set(id, { consumer, until: Date.now() + REGISTRY_CACHE_MS });
    return consumer;
  };

  return async (authorization) => {
    if (!authorization) throw unauthenticated('No token: send Authorization: Bearer <token> naming a registered consumer');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
    let payload: JWTPayload;
    try {
      payload = await verify(match[1]);
    } catch (e) {
      // The identity provider's keys could not be fetched: no token can be checked now, whoever
      // sent it. The server's trouble, not the caller's credentials (a 401 would say they are wrong).
      const unreachable = config.auth.jwksUrl ? keysUnreachable(e) : undefined;
      if (unreachable) throw identityProviderUnavailable();
      // With development tokens, a signature that does not verify is nearly always a token made
      // by `npm run token` with another data directory, which made its own key.
      const hint = devKey && e instanceof joseErrors.JWSSignatureVerificationFailed
        ? ' (a development token is accepted only when `npm run token` ran with the gateway\'s ONESOURCE_DATA_DIR)'
        : '';
      throw unauthenticated(`The token is not valid: ${describe(e)}${hint}`);
    }
    const subject = String(payload.sub);
    if (payload[CITIZEN_ROLE_CLAIM] === 'citizen') {
      const id = checkIdNumber(subject);
      if (!id.ok) throw unauthenticated(`The citizen token's subject is not an idNumber: ${id.reason}`);
      return { kind: 'CITIZEN', idNumber: id.value };
    }
    const consumer = await registered(subject);
    if (!consumer) throw unauthenticated(`"${subject}" is not a registered consumer`);
    if (consumer.status !== 'ACTIVE') throw unauthenticated(`Consumer "${subject}" is suspended`);
    return { kind: 'SYSTEM', consumer };
  };
}

function describe(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'it has expired';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not accepted';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim ${e.claim} is wrong (${e.reason})`;
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) return 'it is not a well-formed signed JWT';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the identity provider matches it';
  return 'it could not be verified';
}
