import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import * as gatewayTelemetry from '@apollo/gateway/dist/utilities/opentelemetry';
import { PROJECT_REVIEW } from './support/operations';
import { Stack, startStack } from './support/stack';

/**
 * E-government networks are closed: the gateway must not call Apollo (telemetry, usage or schema
 * reporting) nor send a browser to a CDN.
 */
describe('on a closed network', () => {
  let stack: Stack;
  const exporter = jest.spyOn(gatewayTelemetry, 'createDataCollectionExporter');
  const destinations: string[] = [];
  const onSocket = ({ socket }: { socket: Socket }) => {
    socket.once('connect', () => destinations.push(`${socket.remoteAddress}:${socket.remotePort}`));
  };

  beforeAll(async () => {
    diagnostics.subscribe('net.client.socket', onSocket as (message: unknown) => void);
    stack = await startStack({ store: 'sqlite', mode: 'in-process' });
  }, 300_000);
  afterAll(async () => {
    diagnostics.unsubscribe('net.client.socket', onSocket as (message: unknown) => void);
    await stack?.stop();
  });

  it('never starts @apollo/gateway\'s anonymous telemetry', () => {
    expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('1');
    expect(exporter).not.toHaveBeenCalled();
  });

  it('connects to nothing but the departments on this machine while answering', async () => {
    const page = await stack.query(`{ investmentProjects(first: 1) { edges { node { projectCode } } } }`);
    const answer = await stack.query(PROJECT_REVIEW, { projectCode: page.data.investmentProjects.edges[0].node.projectCode });
    expect(answer.errors).toBeUndefined();
    expect(destinations.length).toBeGreaterThan(0);
    for (const d of destinations) expect(d).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1):\d+$/);
  });

  it('serves its own playground page, with nothing loaded from another host', async () => {
    const res = await fetch(stack.gatewayUrl.replace(/\/graphql$/, '/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('OneSource');
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/apollographql\.com|cdn\.[a-z]/i);
  });

  it('does not hand a browser Apollo\'s CDN landing page at the GraphQL endpoint', async () => {
    const res = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
    const body = await res.text();
    expect(body).not.toMatch(/apollographql\.com|embeddable-sandbox|cdn\.[a-z]/i);
  });
});
