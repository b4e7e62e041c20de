/** A seeded consumer the gateway offers in dev mode, with a ready token. */
export interface DevConsumer {
  id: string;
  name: string;
  department?: string;
  token: string;
}

export const DEV_CONSUMERS_PATH = '/playground/dev-consumers';

/**
 * The seeded consumers, when the gateway runs in dev mode; an empty list otherwise (404 or any
 * other answer), and the page then offers only the paste field.
 */
export async function loadDevConsumers(): Promise<DevConsumer[]> {
  try {
    const res = await fetch(DEV_CONSUMERS_PATH, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) return [];
    const body: unknown = await res.json();
    if (!Array.isArray(body)) return [];
    return body.filter(
      (c): c is DevConsumer => typeof c?.id === 'string' && typeof c?.token === 'string' && c.token.length > 0,
    ).map((c) => ({ id: c.id, name: typeof c.name === 'string' ? c.name : c.id, department: typeof c.department === 'string' ? c.department : undefined, token: c.token }));
  } catch {
    return [];
  }
}

/** The consumer the picker starts on: the investment approval system reads every shared field. */
export function defaultConsumer(consumers: DevConsumer[]): DevConsumer | undefined {
  return consumers.find((c) => c.id === 'drc-approval') ?? consumers[0];
}

const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
const RENEW_AT_THE_EARLIEST_MS = 10_000;

/**
 * Milliseconds until the list should be asked for again: five minutes before the first of its
 * tokens expires (dev tokens live an hour), so a page left open keeps working. Null when no token
 * says when it expires.
 */
export function renewalDelay(consumers: DevConsumer[], now = Date.now()): number | null {
  const expiries = consumers.map((c) => tokenExpiry(c.token)).filter((at): at is number => at !== null);
  if (expiries.length === 0) return null;
  return Math.max(RENEW_AT_THE_EARLIEST_MS, Math.min(...expiries) - RENEW_BEFORE_EXPIRY_MS - now);
}

/** A JWT's claims (with or without `Bearer `), read without checking the token (the gateway checks); null if it cannot be read. */
export function tokenClaims(token: string): Record<string, unknown> | null {
  try {
    const payload = token.replace(/^Bearer\s+/i, '').split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(payload));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A JWT's `exp` in milliseconds. */
function tokenExpiry(token: string): number | null {
  const exp = tokenClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : null;
}
