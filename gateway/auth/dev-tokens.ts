import { SignJWT } from 'jose';
import type { Config } from '../../shared/config';
import { ensureKeyPair, loadPrivateKey } from '../../shared/keys';
import { CITIZEN_ROLE_CLAIM } from './consumer-token';

/**
 * The development identity provider: tokens for seeded consumers (`npm run token`, the playground
 * picker, tests). Production uses an external IdP and turns this off (ONESOURCE_DEV_TOKENS=false).
 */
export async function issueDevToken(
  config: Config,
  who: { consumer: string } | { citizen: string },
  lifetime = '1h',
): Promise<string> {
  await ensureKeyPair(config.dataDir, 'dev-idp');
  const { key, kid } = await loadPrivateKey(config.dataDir, 'dev-idp');
  const claims = 'citizen' in who ? { [CITIZEN_ROLE_CLAIM]: 'citizen' } : {};
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(config.auth.issuer)
    .setAudience(config.auth.audience)
    .setSubject('citizen' in who ? who.citizen : who.consumer)
    .setIssuedAt()
    .setExpirationTime(lifetime)
    .sign(key);
}
