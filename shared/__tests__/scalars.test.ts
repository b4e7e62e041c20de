import { buildSchema, graphql, GraphQLScalarType } from 'graphql';
import { DateScalar } from '../scalars';

/** The `Date` scalar: a real calendar date, YYYY-MM-DD; anything else is BAD_USER_INPUT naming the value. */
describe('Date', () => {
  const schema = buildSchema('scalar Date\ntype Query { echo(on: Date!): Date }');
  Object.assign(schema.getType('Date') as GraphQLScalarType, {
    parseValue: DateScalar.parseValue,
    parseLiteral: DateScalar.parseLiteral,
    serialize: DateScalar.serialize,
  });
  const echo = async (source: string, variableValues?: Record<string, unknown>) =>
    graphql({ schema, source, variableValues, rootValue: { echo: ({ on }: { on: string }) => on } });

  it.each(['2026-02-28', '2024-02-29', '2000-02-29', '2026-12-31'])('takes %s', async (date) => {
    expect(DateScalar.parseValue(date)).toBe(date);
    expect(await echo(`{ echo(on: "${date}") }`)).toEqual({ data: { echo: date } });
    expect(await echo('query($d: Date!) { echo(on: $d) }', { d: date })).toEqual({ data: { echo: date } });
  });

  // Date.parse rolls 2026-02-30 over to 2026-03-02, so these were taken and echoed as written.
  it.each(['2026-02-30', '2027-02-30', '2023-02-29', '1900-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', 'yesterday', '2026-1-1'])(
    'refuses %s with BAD_USER_INPUT naming it, as a variable and as a literal',
    async (date) => {
      expect(() => DateScalar.parseValue(date)).toThrow(`not "${date}"`);
      const asVariable = await echo('query($d: Date!) { echo(on: $d) }', { d: date });
      const asLiteral = await echo(`{ echo(on: "${date}") }`);
      for (const answer of [asVariable, asLiteral]) {
        expect(answer.data).toBeUndefined();
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0].message).toContain(`A Date is a real calendar date written YYYY-MM-DD, not "${date}"`);
      }
      expect(asVariable.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    },
  );
});
