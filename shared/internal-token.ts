import { createRemoteJWKSet, errors as joseErrors, jwtVerify, KeyLike, SignJWT } from 'jose';

/**
 * The short-lived token the gateway signs for every call to a department, so a department's data
 * cannot be read around the gateway. It carries who asked and why; departments verify it with
 * the gateway's public key and refuse any call (also `_service` and `_entities`) without it.
 */
export const INTERNAL_ISSUER = 'onesource-gateway';
const LIFETIME_SECONDS = 60;

export interface InternalCaller {
  /** The consumer system's id, or `citizen` for a citizen asking about themselves. */
  consumer: string;
  kind: 'SYSTEM' | 'CITIZEN';
  roles: string[];
  /** The department a department operator acts for. */
  department?: string;
  /** The citizen's idNumber, for kind CITIZEN. */
  subject?: string;
  purpose?: string;
  requestId?: string;
}

export type InternalSigner = (audience: string, caller: InternalCaller) => Promise<string>;

/**
 * Signs internal tokens, reusing one per (audience, caller) for half its lifetime: signing is the
 * costly part, and the caller's identity, not the request, is what the token vouches for. Requests
 * that need a token while it is being signed wait for that one signature instead of making their
 * own (their department calls then also leave in the same turn, and can be merged).
 */
export function internalSigner(key: KeyLike | Uint8Array, kid: string): InternalSigner {
  const cache = new Map<string, { token: Promise<string>; renewAt: number }>();
  return (audience, caller) => {
    const { requestId: _requestId, ...identity } = caller;
    const cacheKey = `${audience}\u0000${JSON.stringify(identity)}`;
    const now = Date.now();
    const hit = cache.get(cacheKey);
    if (hit && hit.renewAt > now) return hit.token;
    const token = new SignJWT({ ...identity })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(audience)
      .setSubject(caller.consumer)
      .setIssuedAt()
      .setExpirationTime(`${LIFETIME_SECONDS}s`)
      .sign(key);
    if (cache.size > 10_000) cache.clear();
    cache.set(cacheKey, { token, renewAt: now + (LIFETIME_SECONDS * 1000) / 2 });
    token.catch(() => cache.get(cacheKey)?.token === token && cache.delete(cacheKey));
    return token;
  };
}

export type InternalVerifier = (token: string) => Promise<InternalCaller>;

/**
 * The gateway's public keys could not be fetched from its JWKS URL (a department run on its own
 * while the gateway is down or unreachable): no token can be checked, whoever sent it. Not the
 * caller's fault, so not a 401.
 */
export class GatewayKeysUnavailable extends Error {}

/** Whether `error` is the JWKS URL failing (no answer, not 200, not a key set), not the token. */
export function keysUnreachable(error: unknown): string | undefined {
  if (error instanceof joseErrors.JWKSTimeout) return 'no answer in time';
  if (error instanceof joseErrors.JWKSInvalid) return 'not a JSON Web Key Set';
  const { code, message } = error as { code?: unknown; message?: string };
  // jose's own words for an answer that is not a key set, and node's errno codes for no connection.
  if (error instanceof joseErrors.JOSEError && /JSON Web Key Set HTTP response/.test(message ?? '')) return message;
  // (ECONNREFUSED, ENOTFOUND, EAI_AGAIN; jose's own codes begin ERR_ and are about the token).
  if (typeof code === 'string' && /^E(?!RR_)[A-Z_]+$/.test(code)) return code;
  return undefined;
}

/** How far apart the gateway's and a department's clocks may be, as for consumer tokens. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Verifies internal tokens for one department (`audience`), with the key or the gateway's JWKS URL. */
export function internalVerifier(audience: string, key: KeyLike | Uint8Array | URL): InternalVerifier {
  const keyOrSet = key instanceof URL ? createRemoteJWKSet(key) : key;
  const verified = new Map<string, { caller: InternalCaller; expiresAt: number }>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit && hit.expiresAt > Date.now()) return hit.caller;
    const { payload } = await jwtVerify(token, keyOrSet as KeyLike, {
      issuer: INTERNAL_ISSUER,
      audience,
      algorithms: ['ES256'],
      maxTokenAge: `${LIFETIME_SECONDS + 5}s`,
      // A department on another host may run a little behind the gateway's clock: without leeway,
      // a token signed this very second has an `iat` in its future and is refused.
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }).catch((error: unknown) => {
      const why = key instanceof URL ? keysUnreachable(error) : undefined;
      throw why ? new GatewayKeysUnavailable(`the gateway's signing keys could not be fetched from ${key} (${why})`) : error;
    });
    const caller: InternalCaller = {
      consumer: String(payload.consumer),
      kind: payload.kind === 'CITIZEN' ? 'CITIZEN' : 'SYSTEM',
      roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
      department: typeof payload.department === 'string' ? payload.department : undefined,
      subject: typeof payload.subject === 'string' ? payload.subject : undefined,
      purpose: typeof payload.purpose === 'string' ? payload.purpose : undefined,
    };
    if (verified.size > 10_000) verified.clear();
    verified.set(token, { caller, expiresAt: (payload.exp as number) * 1000 });
    return caller;
  };
}
