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

/** Makes the key pair if it does not exist yet. Safe when several processes start at once. */
export async function ensureKeyPair(dataDir: string, name: KeyName): Promise<void> {
  if (fs.existsSync(keyFile(dataDir, name, 'public'))) return;
  fs.mkdirSync(path.join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `${name}-${Date.now().toString(36)}`;
  const write = (part: 'private' | 'public', jwk: JWK) => {
    const tmp = `${keyFile(dataDir, name, part)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ ...jwk, kid, alg: 'ES256', use: 'sig' }), { mode: 0o600 });
    try {
      fs.linkSync(tmp, keyFile(dataDir, name, part)); // fails if another process won the race
    } catch {
      /* the other process's key stands */
    } finally {
      fs.unlinkSync(tmp);
    }
  };
  write('private', await exportJWK(privateKey));
  write('public', await exportJWK(publicKey));
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
