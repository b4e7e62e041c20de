import { describeWithStore, Stack, startStack } from './support/stack';

/**
 * An ID sent as a JSON number beyond 2^53 has lost digits before the gateway sees it (the body is
 * parsed into JavaScript numbers): 350426195905090695 arrives as 350426195905090700. The gateway
 * refuses such a variable, naming it, instead of passing the mangled number on to a department that
 * would report a check digit the caller never sent. SQLite only: this happens at the gateway's edge.
 */

const PERSON = { idNumber: '350426195905090695', name: '黄振坤' };
const BY_ID = 'query($id: ID!) { naturalPerson(idNumber: $id) { name } }';

describeWithStore('sqlite', 'identifiers sent as JSON numbers', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ store: 'sqlite', mode: 'in-process' });
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** Posts a body written by hand: JSON.stringify could not write the number 350426195905090695. */
  async function raw(body: string): Promise<{ status: number; json: any }> {
    const res = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(await stack.as('drc-approval', 'test: 并联审批核验')) }, body });
    return { status: res.status, json: JSON.parse(await res.text()) };
  }

  it('refuses an ID variable sent as a number beyond 2^53 with 400 BAD_USER_INPUT naming the variable, not a wrong check digit', async () => {
    const answer = await raw(`{"query": ${JSON.stringify(BY_ID)}, "variables": {"id": ${PERSON.idNumber}}}`);
    expect(answer.status).toBe(400);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors).toHaveLength(1);
    const [error] = answer.json.errors;
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', variable: 'id' });
    expect(error.message).toBe(
      'Variable "$id" of type "ID!" must be sent as a string, not a JSON number: a JSON number loses digits beyond 2^53 (9007199254740991), ' +
        'and the one given arrives as 350426195905090700, which may not be the identifier meant',
    );
    expect(error.message).not.toMatch(/check character/);
  });

  it('finds the same number in a list and in a field of an input object, and says where', async () => {
    const list = await raw(`{"query": "query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { name } }", "variables": {"ids": ["${PERSON.idNumber}", ${PERSON.idNumber}]}}`);
    expect(list.status).toBe(400);
    expect(list.json.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', variable: 'ids' });
    expect(list.json.errors[0].message).toMatch(/^Variable "\$ids" of type "\[ID!\]!" at "ids\[1\]" must be sent as a string/);

    const mutation = 'mutation($c: LegalPersonCorrection!) { correctLegalPerson(uscc: "91350527MA23FLYW0D", correction: $c, reason: "test") { name } }';
    const input = await raw(`{"query": ${JSON.stringify(mutation)}, "variables": {"c": {"legalRepresentativeIdNumber": ${PERSON.idNumber}}}}`);
    expect(input.status).toBe(400);
    expect(input.json.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', variable: 'c' });
    expect(input.json.errors[0].message).toMatch(/^Variable "\$c" of type "LegalPersonCorrection!" at "c\.legalRepresentativeIdNumber" must be sent as a string/);

    // In a field of an input object in a list: a batch of verifications.
    const verify = 'query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }';
    const batch = await raw(`{"query": ${JSON.stringify(verify)}, "variables": {"r": [{"idNumber": "${PERSON.idNumber}", "name": "某"}, {"idNumber": ${PERSON.idNumber}, "name": "某"}]}}`);
    expect(batch.status).toBe(400);
    expect(batch.json.errors[0].message).toMatch(/^Variable "\$r" of type "\[VerificationRequest!\]!" at "r\[1\]\.idNumber" must be sent as a string/);
  });

  it('still takes an ID as a string, as a literal of any size, and as a number JavaScript holds exactly', async () => {
    const asString = await stack.query(BY_ID, { id: PERSON.idNumber });
    expect(asString.errors).toBeUndefined();
    expect(asString.data).toEqual({ naturalPerson: { name: PERSON.name } });

    const literal = await stack.query(`{ naturalPerson(idNumber: ${PERSON.idNumber}) { name } }`);
    expect(literal.errors).toBeUndefined();
    expect(literal.data).toEqual({ naturalPerson: { name: PERSON.name } });

    // 9007199254740991 is exact: it reaches the department, which says what is wrong with it as an idNumber.
    const safe = await raw(`{"query": ${JSON.stringify(BY_ID)}, "variables": {"id": ${Number.MAX_SAFE_INTEGER}}}`);
    expect(safe.status).toBe(200);
    expect(safe.json.errors[0]).toMatchObject({ path: ['naturalPerson'], extensions: { code: 'BAD_USER_INPUT', argument: 'idNumber' } });
    expect(safe.json.errors[0].message).not.toMatch(/2\^53/);
  });
});
