import { readConfig } from '../../shared/config';
import { internalSigner, InternalSigner } from '../../shared/internal-token';
import { ensureKeyPair, loadPrivateKey } from '../../shared/keys';

/**
 * The headers every call from a gateway to a department's subgraph carries: the internal token
 * signed with the gateway's key, as OneSource's gateway signs it. The peers measured next to
 * OneSource (Hive Gateway, bare Apollo Gateway) and the bench's readiness probes take them from
 * here, so all targets pass the same departmental check. `subgraph` is the token's audience;
 * `env` is the stack's environment (the peers run with it as their own).
 */
let signer: Promise<InternalSigner> | undefined;

export async function internalSubgraphHeaders(subgraph?: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  if (!subgraph) return {};
  // The key is under the bench's data directory: the bench process passes its stack's environment.
  signer ??= (async () => {
    const { dataDir } = readConfig(env);
    await ensureKeyPair(dataDir, 'gateway-signing');
    const { key, kid } = await loadPrivateKey(dataDir, 'gateway-signing');
    return internalSigner(key, kid);
  })();
  const token = await (await signer)(subgraph, { consumer: 'drc-approval', kind: 'SYSTEM', roles: [], purpose: 'benchmark' });
  return { authorization: `Bearer ${token}` };
}
