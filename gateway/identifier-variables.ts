import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  GraphQLInputType,
  GraphQLSchema,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  print,
  typeFromAST,
  VariableDefinitionNode,
} from 'graphql';

/** An identifier sent as a JSON number that JavaScript could not hold exactly: where, and what it became. */
interface LostDigits {
  /** `ids[2]`, `input.legalRepresentativeIdNumber`; empty for the variable itself. */
  at: string;
  value: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER.toLocaleString('en-US', { useGrouping: false });

/**
 * An ID sent as a JSON number beyond 2^53 has lost digits before any of our code sees it: the body
 * is parsed into JavaScript numbers, and GraphQL's ID then turns 350426195905090695 into the string
 * "350426195905090700", which a department reports as an invalid check digit of a number the caller
 * never sent. So a variable whose declared type holds an ID (itself, in a list, or in a field of an
 * input object) and is given a JSON integer that is not a safe integer is refused here, before
 * anything runs, with BAD_USER_INPUT naming the variable and saying to send the ID as a string.
 * Smaller integers are exact and stay accepted, as GraphQL accepts them; an ID written in the
 * query itself (`idNumber: 350426195905090695`) keeps its digits and is not concerned.
 */
export function identifierVariablesPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, schema }) {
          const variables = request.variables;
          if (!operation?.variableDefinitions?.length || !variables) return;
          for (const definition of operation.variableDefinitions) {
            const name = definition.variable.name.value;
            const value = variables[name];
            // Only a number, or a list or input object that may hold one, can have lost digits: the
            // 200 string variables of a batch of verifications are passed over without a type lookup.
            if (typeof value !== 'number' && (typeof value !== 'object' || value === null)) continue;
            if (!Object.prototype.hasOwnProperty.call(variables, name)) continue;
            const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
            const lost = type && lostDigits(type, value);
            if (lost) throw refusal(definition, lost);
          }
        },
      };
    },
  };
}

/**
 * Where under `value` an ID lost digits. The path is written only on the way back from a loss
 * (nearly never): a list of 100 request objects is walked without building 200 path strings.
 */
function lostDigits(type: GraphQLInputType, value: unknown): LostDigits | undefined {
  if (value === null || value === undefined) return undefined;
  if (isNonNullType(type)) return lostDigits(type.ofType, value);
  if (isListType(type)) {
    // GraphQL takes a single value where a list is declared, as a list of one.
    if (!Array.isArray(value)) return lostDigits(type.ofType, value);
    for (let i = 0; i < value.length; i++) {
      const lost = lostDigits(type.ofType, value[i]);
      if (lost) return { ...lost, at: `[${i}]${lost.at}` };
    }
    return undefined;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) return undefined;
    const fields = type.getFields();
    for (const name in fields) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
      const lost = lostDigits(fields[name].type, (value as Record<string, unknown>)[name]);
      if (lost) return { ...lost, at: `.${name}${lost.at}` };
    }
    return undefined;
  }
  if (isScalarType(type) && type.name === 'ID' && typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return { at: '', value };
  }
  return undefined;
}

function refusal(definition: VariableDefinitionNode, lost: LostDigits): GraphQLError {
  const name = definition.variable.name.value;
  const where = lost.at ? ` at "${name}${lost.at}"` : '';
  const arrived = lost.value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 });
  return new GraphQLError(
    `Variable "$${name}" of type "${print(definition.type)}"${where} must be sent as a string, not a JSON number: a JSON number loses digits ` +
      `beyond 2^53 (${MAX_SAFE}), and the one given arrives as ${arrived}, which may not be the identifier meant`,
    { nodes: [definition], extensions: { code: 'BAD_USER_INPUT', variable: name, http: { status: 400 } } },
  );
}
