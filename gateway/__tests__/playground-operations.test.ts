import { parse, validate } from 'graphql';
import { readConfig } from '../../shared/config';
import { CONTRACT_OPERATIONS } from '../contract-operations';
import { OPERATIONS, PERSON_SAMPLE_QUERY, PROJECT_SAMPLE_QUERY } from '../playground/src/operations';
import { gatewaySubgraphSources } from '../prepare';
import { apiSchemaOf } from '../schema-change';
import { composeSupergraph } from '../supergraph';

/**
 * The playground's ready-made operations are what a developer runs first: each must be valid
 * against the schema the gateway serves (the browser test runs two of them end to end).
 */
const schema = apiSchemaOf(composeSupergraph(gatewaySubgraphSources(readConfig({}), 4000)));

describe("the contract's operations (npm run check judges them as OneSource's own)", () => {
  it.each(CONTRACT_OPERATIONS.map((query) => [/query (\w+)/.exec(query)![1], query]))('%s is valid against the served schema', (_, query) => {
    expect(validate(schema, parse(query)).map((e) => e.message)).toEqual([]);
  });
});

describe("the playground's ready-made operations", () => {
  it.each([...OPERATIONS.map((o) => [o.id, o.query]), ['project sample', PROJECT_SAMPLE_QUERY], ['person sample', PERSON_SAMPLE_QUERY]])(
    '%s is valid against the served schema',
    (_, query) => {
      expect(validate(schema, parse(query)).map((e) => e.message)).toEqual([]);
    },
  );
});
