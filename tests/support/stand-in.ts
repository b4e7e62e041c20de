import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in between the gateway and a real department (registered with ONESOURCE_<NAME>_URL):
 * forwards calls, or hangs, holds, or answers garbage, as the test says.
 */
export type Mode = 'forward' | 'hang' | 'html' | 'invalid-json' | 'not-graphql' | 'short-list' | 'status-500' | 'hold' | 'schema-skew' | 'null-data' | 'internal-error' | 'one-field-fails' | 'wrong-types';

export async function standIn() {
  let mode: Mode = 'forward';
  let upstreamPort = 0;
  const hanging = new Set<http.ServerResponse>();
  let held: (() => void)[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    // The readiness probe carries no token: refused as a department would, so the stack starts.
    if (!req.headers.authorization) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"message":"no internal token"}]}');
      return;
    }
    switch (mode) {
      case 'hang':
        hanging.add(res);
        return;
      case 'hold':
        // Answered properly, but only once the test lets go (release()).
        await new Promise<void>((resolve) => held.push(resolve));
        break;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1>nginx/1.24.0 at /srv/geo</body></html>');
        return;
      case 'invalid-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": {"_entities": [{"__typename": "Administr');
        return;
      case 'not-graphql':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","trace":"at Object.<anonymous> (/srv/geo/index.js:12:3)"}');
        return;
      case 'short-list':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"_entities":[]}}');
        return;
      case 'null-data':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":null}');
        return;
      case 'internal-error':
        // What a department whose own store fails answers: its resolvers threw.
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":null,"errors":[{"message":"Internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}');
        return;
      case 'schema-skew':
        // What a department answers a query for a field its running schema does not have yet.
        res.writeHead(400, { 'content-type': 'application/json' })
          .end('{"errors":[{"message":"Cannot query field \\"floodZone\\" on type \\"LandParcel\\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}');
        return;
      case 'status-500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Error: connect ECONNREFUSED 10.0.0.7:3306\n    at TCPConnectWrap.afterConnect');
        return;
    }
    // Forward to the real department.
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    try {
      const upstream = await fetch(`http://127.0.0.1:${upstreamPort}${req.url}`, { method: req.method, headers, body: req.method === 'POST' ? body : undefined });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      const answer = Buffer.from(await upstream.arrayBuffer());
      res.end(mode === 'one-field-fails' ? failOneField(answer) : mode === 'wrong-types' ? wrongTypes(answer) : answer);
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    forwardTo(port: number) {
      upstreamPort = port;
    },
    /** How many calls 'hold' is keeping waiting. */
    holding: () => held.length,
    /** Lets every held call through to the department. */
    release() {
      held.forEach((go) => go());
      held = [];
    },
    set(next: Mode) {
      mode = next;
      this.release();
      for (const res of hanging) res.destroy();
      hanging.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


export type StandIn = Awaited<ReturnType<typeof standIn>>;

/** The department's real answer with the first entity's `landUse` failed, as a resolver that threw would leave it. */
function failOneField(body: Buffer): Buffer {
  const answer = JSON.parse(body.toString());
  const first = answer.data?._entities?.[0];
  if (!first || !('landUse' in first)) return body;
  first.landUse = null;
  answer.errors = [...(answer.errors ?? []), { message: 'Internal server error', path: ['_entities', 0, 'landUse'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
  return Buffer.from(JSON.stringify(answer));
}

/** The department's real answer with each string value (but `__typename`) an object: well-formed GraphQL, values of the wrong type. */
function wrongTypes(body: Buffer): Buffer {
  const answer = JSON.parse(body.toString());
  const spoil = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => spoil(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, spoil(v, k)]));
    return typeof value === 'string' && key !== '__typename' ? { text: value } : value;
  };
  return Buffer.from(JSON.stringify({ ...answer, data: spoil(answer.data) }));
}
