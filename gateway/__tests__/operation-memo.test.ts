import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import * as federation from '@apollo/federation-internals';
import { rememberExecutedOperations } from '../operation-memo';

const schema = federation.buildSchema(`
  type Query { person(idNumber: ID!): Person }
  type Person { idNumber: ID! name: String! }
`);

/** The document `executeQueryPlan` hands over: the request's operation node, then its fragments. */
function executed(document: DocumentNode): DocumentNode {
  return { kind: Kind.DOCUMENT, definitions: [document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)] };
}

describe('remembering the operations Apollo Gateway executes', () => {
  beforeAll(() => expect(rememberExecutedOperations()).toBe(true));

  // executeQueryPlan calls it as `federation_internals_1.operationFromDocument`, from the package's index.
  const operationFromDocument = (...args: Parameters<typeof federation.operationFromDocument>) => federation.operationFromDocument(...args);

  it('builds an operation once for the same parsed document, and again for another', () => {
    const request = parse('query Who($id: ID!) { person(idNumber: $id) { ...P } } fragment P on Person { name }');
    const first = operationFromDocument(schema, executed(request), { validate: false });
    expect(operationFromDocument(schema, executed(request), { validate: false })).toBe(first);
    expect(first.toString()).toContain('name');

    // The same text parsed again is other nodes: another operation, equal to the first.
    const again = operationFromDocument(schema, executed(parse(request.loc!.source.body)), { validate: false });
    expect(again).not.toBe(first);
    expect(again.toString()).toBe(first.toString());
  });

  it('does not reuse an operation whose fragments are other nodes', () => {
    const request = parse('query { person(idNumber: "1") { ...P } } fragment P on Person { name }');
    const withIdNumber = parse('fragment P on Person { idNumber }').definitions[0];
    const first = operationFromDocument(schema, executed(request), { validate: false });
    const other = operationFromDocument(schema, { kind: Kind.DOCUMENT, definitions: [request.definitions[0], withIdNumber] }, { validate: false });
    expect(other).not.toBe(first);
    expect(other.toString()).toContain('idNumber');
  });

  it('leaves the planner’s validating conversion alone', () => {
    const request = parse('{ person(idNumber: "1") { name } }');
    expect(operationFromDocument(schema, request)).not.toBe(operationFromDocument(schema, request));
    expect(() => operationFromDocument(schema, parse('{ person(idNumber: "1") { age } }'))).toThrow(/age/);
  });

  it('is installed once however often the gateway starts', () => {
    const installed = federation.operationFromDocument;
    expect(rememberExecutedOperations()).toBe(true);
    expect(federation.operationFromDocument).toBe(installed);
  });
});
