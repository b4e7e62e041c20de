import { scaledPlan } from '../shared/seed/population';
import { Stack, startStack } from './support/stack';

/**
 * ONESOURCE_HOST bound to one address that is not 127.0.0.1: the gateway reaches the departments
 * and its own sharing subgraph there (127.0.0.2 is a loopback address of its own on Linux).
 */
describe('servers bound to ONESOURCE_HOST=127.0.0.2 [sqlite, in-process]', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store: 'sqlite', mode: 'in-process', plan: scaledPlan(100), env: { ONESOURCE_HOST: '127.0.0.2' } });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers from the departments and from the gateway\'s own subgraph, at that address', async () => {
    expect(stack.gatewayUrl).toBe(`http://127.0.0.2:${stack.config.gatewayPort}/graphql`);
    const answer = await stack.query(`{ me { id } investmentProjects(first: 1) { edges { node { projectCode applicant { name } } } } }`);
    expect(answer.errors).toBeUndefined();
    expect(answer.data.me.id).toBe('drc-approval');
    expect(answer.data.investmentProjects.edges[0].node.applicant.name).toEqual(expect.any(String));
    // Nothing listens at 127.0.0.1.
    await expect(fetch(`http://127.0.0.1:${stack.config.gatewayPort}/health`)).rejects.toThrow();
  });
});
