import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, JWK, KeyLike } from 'jose';

/**
 * ES256 key pairs kept as JWK files under `<dataDir>/keys/`: the gateway's signing key for internal
 * calls to departments, and the development identity provider's key for consumer tokens.
 * Production replaces the second with an external IdP (ONESOURCE_JWKS_URL).
 */
export type KeyName = 'gateway-signing' | 'dev-idp';

const keyFile = (dataDir: string, name: KeyName, part: 'private' | 'public') => path.join(dataDir, 'keys', `${name}.${part}.jwk`);

/** Whether the key pair exists in this data directory. */
export function hasKeyPair(dataDir: string, name: KeyName): boolean {
  return fs.existsSync(keyFile(dataDir, name, 'public'));
}

/**
 * Makes the key pair if it does not exist yet. Safe when several processes start at once: the
 * private key is placed only if none is there (a hard link does not replace a file), and the public
 * key is always the one of the private key that stands, so the halves of a pair never come from two
 * processes (they did when each placed its own public key: every signature then failed its check).
 */
export async function ensureKeyPair(dataDir: string, name: KeyName): Promise<void> {
  if (fs.existsSync(keyFile(dataDir, name, 'public'))) return;
  fs.mkdirSync(path.join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(keyFile(dataDir, name, 'private'))) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `${name}-${Date.now().toString(36)}`;
    placeOnce(keyFile(dataDir, name, 'private'), { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' });
  }
  const { d: _private, ...publicHalf } = readJwk(dataDir, name, 'private');
  placeOnce(keyFile(dataDir, name, 'public'), publicHalf);
}

/** Writes `jwk` to `file` unless the file is there already (another process placed it first). */
function placeOnce(file: string, jwk: JWK): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.unlinkSync(tmp);
  }
}

export async function loadPrivateKey(dataDir: string, name: KeyName): Promise<{ key: KeyLike | Uint8Array; kid: string }> {
  const jwk = readJwk(dataDir, name, 'private');
  return { key: await importJWK(jwk, 'ES256'), kid: jwk.kid as string };
}

export async function loadPublicKey(dataDir: string, name: KeyName): Promise<KeyLike | Uint8Array> {
  return importJWK(readJwk(dataDir, name, 'public'), 'ES256');
}

export function publicJwk(dataDir: string, name: KeyName): JWK {
  return readJwk(dataDir, name, 'public');
}

/**
 * A secret for `use`, derived from the private key `name` (SHA-256 of the use and the key's private
 * scalar): what the replicas sharing the key share, without a second secret to distribute.
 */
export function derivedSecret(dataDir: string, name: KeyName, use: string): Buffer {
  return createHash('sha256').update(`${use}\u0000`).update(String(readJwk(dataDir, name, 'private').d)).digest();
}

function readJwk(dataDir: string, name: KeyName, part: 'private' | 'public'): JWK {
  const file = keyFile(dataDir, name, part);
  if (!fs.existsSync(file)) {
    // A department running its own subgraph fetches the gateway's public key instead of reading it here.
    const instead = name === 'gateway-signing' ? "point ONESOURCE_GATEWAY_JWKS_URL at the gateway's /.well-known/jwks.json" : 'set ONESOURCE_JWKS_URL to the identity provider';
    throw new Error(`no ${name} key at ${file}: start the gateway once with this ONESOURCE_DATA_DIR (npm start), or ${instead}`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
}
