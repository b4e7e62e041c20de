import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { InternalCaller, InternalSigner } from '../../shared/internal-token';

export interface DepartmentStatus {
  department: string;
  status: 'UP' | 'DOWN';
  latencyMs: number;
  /** Why it is down: a status code or the connection error, never a stack. */
  reason?: string;
}

export interface Readiness {
  ready: boolean;
  /** Departments answering / departments, measured by this probe. */
  connectivityRate: number;
  departments: DepartmentStatus[];
}

/** The probe's caller: the gateway itself, with no consumer's rights. */
const PROBE: InternalCaller = { consumer: 'gateway-readiness', kind: 'SYSTEM', roles: [] };
const PROBE_QUERY = JSON.stringify({ query: '{ __typename }' });

/**
 * Asks every department a signed `{ __typename }`, all at once, and reports each one's status and
 * latency: the cheapest call that proves the subgraph is up and accepts the gateway's tokens.
 */
export function readinessProbe(
  departments: { name: string; url: string }[],
  sign: InternalSigner,
  options: { timeoutMs?: number; onStatus?: (status: DepartmentStatus) => void } = {},
) {
  const timeoutMs = options.timeoutMs ?? 2000;
  const probe = async ({ name, url }: { name: string; url: string }): Promise<DepartmentStatus> => {
    const started = performance.now();
    const done = (status: DepartmentStatus['status'], reason?: string): DepartmentStatus => ({
      department: name, status, latencyMs: Math.round((performance.now() - started) * 10) / 10, ...(reason ? { reason } : {}),
    });
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await sign(name, PROBE)}`, 'x-request-id': `ready-${randomUUID()}` },
        body: PROBE_QUERY,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await res.json().catch(() => null)) as { data?: { __typename?: string } } | null;
      return res.ok && body?.data?.__typename ? done('UP') : done('DOWN', `HTTP ${res.status}`);
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return done('DOWN', e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message));
    }
  };

  async function check(): Promise<Readiness> {
    const statuses = await Promise.all(departments.map(probe));
    statuses.forEach((s) => options.onStatus?.(s));
    const up = statuses.filter((s) => s.status === 'UP').length;
    return { ready: up === statuses.length, connectivityRate: statuses.length ? up / statuses.length : 1, departments: statuses };
  }

  /** GET /ready: 200 when every department answers, 503 with the same body otherwise. */
  const handler: RequestHandler = async (_req, res) => {
    const readiness = await check();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  };
  return { check, handler };
}
