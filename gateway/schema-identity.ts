import { createHash } from 'node:crypto';

/**
 * A short name for the schema the gateway serves, so that a client holding an introspected copy
 * (the playground) can tell, without introspecting again, that the gateway now serves another:
 * sent on every /graphql answer while introspection is on, and at SCHEMA_IDENTITY_PATH for a
 * page that has asked nothing lately. gateway/playground/src/schema-identity.ts mirrors both
 * names (the page cannot import Node code): change them together.
 */
export const SCHEMA_IDENTITY_HEADER = 'x-onesource-schema';
export const SCHEMA_IDENTITY_PATH = '/playground/schema';

/** The identity of a supergraph: 16 characters of the SHA-256 of its SDL (as Apollo Gateway serves it). */
export function schemaIdentity(supergraphSdl: string): string {
  return createHash('sha256').update(supergraphSdl).digest('base64url').slice(0, 16);
}
