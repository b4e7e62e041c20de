import { GraphQLError, ValidationRule } from 'graphql';

/**
 * A number written in the query must be one JavaScript can hold: graphql-js reads the literal
 * `1e400` as Infinity without complaint, and the query planner then fails on it (a 500). As a
 * variable the same value is refused by graphql-js's coercion (BAD_USER_INPUT); as a literal it is
 * refused here, in validation (GRAPHQL_VALIDATION_FAILED), naming the value.
 */
export const FiniteNumbersRule: ValidationRule = (context) => ({
  FloatValue(node) {
    if (!Number.isFinite(Number(node.value))) {
      context.reportError(new GraphQLError(`The number ${node.value.slice(0, 40)} is out of range: a Float must be finite`, { nodes: [node] }));
    }
  },
});
