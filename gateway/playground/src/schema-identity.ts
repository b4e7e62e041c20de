/**
 * Following the gateway's schema. GraphiQL introspects once (and again for a new token); when a
 * department changes its SDL the gateway serves a new supergraph without a restart, and the page
 * would keep the old one in its docs, completion and validation. The gateway names the schema it
 * serves (a hash of its supergraph) on every /graphql answer and at SCHEMA_IDENTITY_PATH; the page
 * introspects again when a name it sees differs from the one its last introspection came with.
 *
 * Mirrors gateway/schema-identity.ts (which the page cannot import): change both together.
 */
export const SCHEMA_IDENTITY_HEADER = 'x-onesource-schema';
export const SCHEMA_IDENTITY_PATH = '/playground/schema';
/** How often a visible page that asks nothing itself asks for the identity (a few bytes). */
export const SCHEMA_CHECK_MS = 5_000;
/** The operation name GraphiQL gives its introspection (its default `introspectionQueryName`). */
export const INTROSPECTION_OPERATION = 'IntrospectionQuery';

type Listener = (identity: string, introspection: boolean) => void;
const listeners = new Set<Listener>();

/** Told of every answer that names the schema; `introspection` when it answers GraphiQL's introspection. */
export function onSchemaIdentity(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called with each answer from the gateway. */
export function noticeSchemaIdentity(headers: Headers, introspection: boolean): void {
  const identity = headers.get(SCHEMA_IDENTITY_HEADER);
  if (!identity) return;
  for (const listener of [...listeners]) listener(identity, introspection);
}

let checking = false;

/**
 * Asks the gateway which schema it serves now; the answer is noticed like any other. Never throws.
 * One check at a time: checks that pile up (a slow gateway, timers let loose after the page slept)
 * would hold up the page's own requests behind the browser's few connections per host.
 */
export async function checkSchemaIdentity(): Promise<void> {
  if (checking) return;
  checking = true;
  try {
    const res = await fetch(SCHEMA_IDENTITY_PATH, { credentials: 'same-origin', cache: 'no-store' });
    noticeSchemaIdentity(res.headers, false);
  } catch {
    // the gateway is not answering: asked again at the next check
  } finally {
    checking = false;
  }
}

/**
 * When to introspect again: the identity the last introspection was answered with is the schema
 * held (a refused one too: it is not asked again until the identity changes once more, so a
 * consumer over its rate limit is not sent round in circles, and the refusal GraphiQL shows is the
 * gateway's). Any other answer naming another identity asks for the schema once. Before the first
 * introspection is answered nothing is asked: that one brings the schema anyway.
 */
export function schemaFollower(introspect: () => void): Listener {
  let held: string | undefined;
  return (identity, introspection) => {
    if (introspection) {
      held = identity;
      return;
    }
    if (held === undefined || identity === held) return;
    held = identity;
    introspect();
  };
}
