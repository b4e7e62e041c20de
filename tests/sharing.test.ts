import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DEPARTMENTS } from '../shared/departments';
import { dayInChina } from '../shared/identifiers';
import { RESILIENCE_DEFAULTS } from '../shared/config';
import { loadPrivateKey } from '../shared/keys';
import { verifyAuditChain } from '../gateway/audit/verify';
import { addWorkingDays } from '../gateway/sharing/working-days';
import { openGatewayStore } from '../gateway/store';
import { PROJECT_REVIEW } from './support/operations';
import { describeWithStore, post, Stack, startStack, StoreKind } from './support/stack';
import { raw } from './support/http';

const run = promisify(execFile);

const PERSON = `query($id: ID!) { naturalPerson(idNumber: $id) { idNumber name householdAddress mobilePhone householdDivision { name } credit { onBlacklist entries { kind } } } }`;

/** Who may read what: identity, share types, conditional-sharing applications, the audit trail. */
function defineSharingSuite(store: StoreKind) {
  describeWithStore(store, 'who may read what', () => {
    let stack: Stack;
    let gatewayDb: Knex;
    let person: { idNumber: string; name: string };
    let others: string[];

    beforeAll(async () => {
      stack = await startStack({ store, mode: 'in-process' });
      gatewayDb = await openGatewayStore(stack.config);
      const page = await stack.query(`{ investmentProjects(first: 3) { edges { node { applicant { legalRepresentative { idNumber name } } } } } }`);
      const reps = page.data.investmentProjects.edges.map((e: any) => e.node.applicant.legalRepresentative);
      person = reps[0];
      others = reps.slice(1).map((r: any) => r.idNumber);
    }, 300_000);
    afterAll(async () => {
      await gatewayDb?.destroy();
      await stack?.stop();
    });

    describe('consumer tokens', () => {
      const ask = (headers: Record<string, string>) => post<any>(stack.gatewayUrl, { query: '{ __typename }' }, headers);
      const signed = async (claims: Record<string, unknown>, key: Parameters<SignJWT['sign']>[0], alg = 'ES256', exp: string | number = '5m') =>
        new SignJWT(claims).setProtectedHeader({ alg }).setIssuer(stack.config.auth.issuer).setAudience(stack.config.auth.audience)
          .setSubject('drc-approval').setIssuedAt().setExpirationTime(exp).sign(key);

      it('gives development tokens only to a browser on the gateway\'s machine, never through a proxy', async () => {
        const base = stack.gatewayUrl.replace(/\/graphql$/, '');
        const here = await fetch(`${base}/playground/dev-consumers`);
        expect(here.status).toBe(200);
        expect((await here.json()).map((c: { id: string }) => c.id)).toContain('auditor');
        const relays: Record<string, string>[] = [{ 'x-forwarded-for': '10.1.2.3' }, { forwarded: 'for=10.1.2.3' }];
        for (const relayed of relays) {
          const answer = await fetch(`${base}/playground/dev-consumers`, { headers: relayed });
          expect(answer.status).toBe(403);
          const body = await answer.text();
          expect(body).toMatch(/FORBIDDEN/);
          expect(body).not.toMatch(/eyJ/); // no token in it
        }
        // A page of another site whose name was pointed at 127.0.0.1 (DNS rebinding) comes from
        // loopback, but names its own site in Host.
        const rebound = await raw(Number(new URL(base).port), Buffer.from(`GET /playground/dev-consumers HTTP/1.1\r\nHost: attacker.example:${new URL(base).port}\r\nConnection: close\r\n\r\n`));
        expect(rebound.head).toMatch(/^HTTP\/1\.1 403/);
        expect(JSON.stringify(rebound.json)).not.toMatch(/eyJ/);
      });

      it('answers a valid token', async () => {
        const answer = await ask(await stack.as('market-portal'));
        expect(answer.status).toBe(200);
        expect(answer.data).toEqual({ __typename: 'Query' });
      });

      it.each([
        ['no token', async () => ({}), /No token/],
        ['a malformed header', async () => ({ authorization: 'Token abc' }), /Bearer/],
        ['alg: none', async () => {
          const body = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
          const now = Math.floor(Date.now() / 1000);
          return { authorization: `Bearer ${body({ alg: 'none' })}.${body({ sub: 'drc-approval', iss: stack.config.auth.issuer, aud: stack.config.auth.audience, exp: now + 300 })}.` };
        }, /not valid/],
        ['a token signed with another key', async () => {
          const { privateKey } = await generateKeyPair('ES256');
          return { authorization: `Bearer ${await signed({}, privateKey)}` };
        }, /signature does not verify \(a development token is accepted only when `npm run token` ran with the gateway's ONESOURCE_DATA_DIR\)/],
        ['a tampered token', async () => {
          const [h, p, s] = (await stack.as('market-portal')).authorization.slice(7).split('.');
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
          const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'drc-approval' })).toString('base64url');
          return { authorization: `Bearer ${h}.${forged}.${s}` };
        }, /signature does not verify/],
        ['an expired token', async () => {
          const { key } = await loadPrivateKey(stack.config.dataDir, 'dev-idp');
          return { authorization: `Bearer ${await signed({}, key, 'ES256', Math.floor(Date.now() / 1000) - 60)}` };
        }, /expired/],
        ['an HMAC token', async () => ({ authorization: `Bearer ${await signed({}, new TextEncoder().encode('x'.repeat(32)), 'HS256')}` }), /algorithm is not accepted/],
        ['an unregistered consumer', async () => {
          const { key } = await loadPrivateKey(stack.config.dataDir, 'dev-idp');
          const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(stack.config.auth.issuer)
            .setAudience(stack.config.auth.audience).setSubject('rogue-system').setExpirationTime('5m').sign(key);
          return { authorization: `Bearer ${token}` };
        }, /not a registered consumer/],
      ])('refuses %s with 401 UNAUTHENTICATED', async (_label, headers, reason) => {
        const answer = await ask(await headers());
        expect(answer.status).toBe(401);
        expect(answer.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
        expect(answer.errors![0].message).toMatch(reason);
        expect(answer.data).toBeUndefined();
      });
    });

    describe('share types', () => {
      it('gives an unconditional-only consumer every unconditional field, and FORBIDDEN at the path of each conditional one', async () => {
        const answer = await stack.query(PERSON, { id: person.idNumber }, await stack.as('market-portal', '企业开办'));
        expect(answer.data.naturalPerson).toMatchObject({ idNumber: person.idNumber, name: person.name, householdAddress: null, mobilePhone: null, credit: { entries: null } });
        expect(answer.data.naturalPerson.householdDivision.name).toMatch(/[区县市]$/);
        const forbidden = answer.errors!.filter((e) => e.extensions?.code === 'FORBIDDEN');
        expect(forbidden.map((e) => e.path)).toEqual(expect.arrayContaining([
          ['naturalPerson', 'householdAddress'], ['naturalPerson', 'mobilePhone'], ['naturalPerson', 'credit', 'entries'],
        ]));
        expect(forbidden.find((e) => e.path!.join('.') === 'naturalPerson.householdAddress')!.extensions).toMatchObject({ resource: 'persons.contact-details', missing: 'GRANT' });
      });

      it('leaves a field @skip or @include leaves out unrefused and unrecorded, and judges the same document by its variables', async () => {
        const document = `query($id: ID!, $contact: Boolean!) {
          naturalPerson(idNumber: $id) { name householdAddress @include(if: $contact) mobilePhone @skip(if: true) ... on NaturalPerson @include(if: $contact) { credit { entries { kind } } } } }`;
        const request = (contact: boolean, requestId: string, headers: Record<string, string>) =>
          stack.query(document, { id: others[1], contact }, { ...headers, 'x-request-id': requestId });
        const left = await request(false, 'req-skipped', await stack.as('market-portal'));
        expect(left.errors).toBeUndefined();
        expect(left.data).toEqual({ naturalPerson: { name: expect.any(String) } });
        // The same document, asking the conditional fields this time: refused as ever.
        const asked = await request(true, 'req-included', await stack.as('market-portal'));
        expect(asked.errors!.map((e) => [e.path!.join('.'), e.extensions?.code])).toEqual(expect.arrayContaining([
          ['naturalPerson.householdAddress', 'FORBIDDEN'], ['naturalPerson.credit.entries', 'FORBIDDEN'],
        ]));
        // A consumer holding the grant but stating no purpose: nothing conditional asked, nothing refused.
        expect((await request(false, 'req-skipped-purpose', await stack.as('drc-approval'))).errors).toBeUndefined();

        // A condition given as null is the caller's mistake, said as such: not a department's failure,
        // and not the shape of the same document with the variable left out (which takes its default).
        const hiding = `query($id: ID!, $hide: Boolean = true) { naturalPerson(idNumber: $id) { name householdAddress @skip(if: $hide) } }`;
        const nulled = await stack.query(hiding, { id: others[1], hide: null }, await stack.as('market-portal'));
        expect(nulled.data).toBeUndefined();
        expect(nulled.errors).toEqual([expect.objectContaining({
          message: 'Variable "$hide" is the condition of @skip or @include, which takes true or false, not null',
          extensions: { code: 'BAD_USER_INPUT', variable: 'hide' },
        })]);
        // A variable left out takes the operation's default, as execution takes it.
        const defaulted = await stack.query(hiding,
          { id: others[1] }, { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-skipped-default' });
        expect(defaulted.errors).toBeUndefined();
        expect(defaulted.data).toEqual({ naturalPerson: { name: expect.any(String) } });

        const log = (await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { requestId fields } } } }`, { id: others[1] }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(log.find((r: any) => r.requestId === 'req-skipped').fields).toEqual(['NaturalPerson.name']);
        expect(log.find((r: any) => r.requestId === 'req-skipped-default').fields).toEqual(['NaturalPerson.name']);
      });

      it('answers a refused field in the place it was asked, not after the others', async () => {
        const answer = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { idNumber householdAddress name credit { entries { kind } onBlacklist } } }`, { id: person.idNumber }, await stack.as('market-portal'));
        expect(Object.keys(answer.data.naturalPerson)).toEqual(['idNumber', 'householdAddress', 'name', 'credit']);
        expect(Object.keys(answer.data.naturalPerson.credit)).toEqual(['entries', 'onBlacklist']);
      });

      it('does not fetch refused fields at all', async () => {
        const credit = stack.stores.credit!;
        const statements: string[] = [];
        const listen = (q: { sql: string }) => statements.push(q.sql);
        credit.on('query', listen);
        await stack.query(PERSON, { id: person.idNumber }, await stack.as('market-portal', '企业开办'));
        credit.off('query', listen);
        expect(statements.some((s) => /credit_profiles/.test(s))).toBe(true);
        // The profile's standing counts the entries in force inside its own statement; the entries
        // themselves (their documents, reasons, authorities) are never selected.
        expect(statements.some((s) => /document_number|reason|authority/.test(s))).toBe(false);
      });

      it('needs a stated purpose for conditional fields, and says so', async () => {
        const without = await stack.query(PERSON, { id: person.idNumber }, await stack.as('drc-approval'));
        expect(without.data.naturalPerson.householdAddress).toBeNull();
        const error = without.errors!.find((e) => e.path!.join('.') === 'naturalPerson.householdAddress')!;
        expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', missing: 'PURPOSE' });
        expect(error.message).toMatch(/X-Purpose/);

        const withPurpose = await stack.query(PERSON, { id: person.idNumber }, await stack.as('drc-approval', '并联审批'));
        expect(withPurpose.errors).toBeUndefined();
        expect(withPurpose.data.naturalPerson.householdAddress).toMatch(/^福建省.+号$/);
        expect(Array.isArray(withPurpose.data.naturalPerson.credit.entries)).toBe(true);
      });

      it('puts FORBIDDEN at each list position', async () => {
        const ids = [person.idNumber, ...others];
        const answer = await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { name householdAddress } }`, { ids }, await stack.as('market-portal'));
        expect(answer.data.naturalPersons).toHaveLength(ids.length);
        for (const p of answer.data.naturalPersons) expect(p).toEqual({ name: expect.any(String), householdAddress: null });
        expect(answer.errors!.map((e) => e.path)).toEqual(ids.map((_, i) => ['naturalPersons', i, 'householdAddress']));
      });

      it('records a person asked twice at one place (two fragments) like one asked once', async () => {
        const answer = await stack.query(
          `query Twice($id: ID!) { ...Named ...Reached } fragment Named on Query { naturalPerson(idNumber: $id) { name } } fragment Reached on Query { naturalPerson(idNumber: $id) { mobilePhone } }`,
          { id: person.idNumber }, { ...(await stack.as('drc-approval', '并联审批核验')), 'x-request-id': 'req-two-fragments' });
        expect(answer.errors).toBeUndefined();
        expect(answer.data.naturalPerson.name).toEqual(expect.any(String));
        const log = (await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { requestId fields } } } }`, { id: person.idNumber }, await stack.as('auditor', '投诉核查')))
          .data.accessLog.edges.map((e: any) => e.node);
        expect(log.find((r: any) => r.requestId === 'req-two-fragments')?.fields).toEqual(expect.arrayContaining(['NaturalPerson.name', 'NaturalPerson.mobilePhone']));
      });

      it("records every item read of the valid persons of a batch beside an invalid idNumber, with the grant used", async () => {
        const invalid = `${person.idNumber.slice(0, 17)}${person.idNumber[17] === '0' ? '1' : '0'}`;
        const answer = await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { name mobilePhone } }`, { ids: [person.idNumber, invalid] },
          { ...(await stack.as('drc-approval', '并联审批核验')), 'x-request-id': 'req-batch-invalid' });
        expect(answer.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['BAD_USER_INPUT', ['naturalPersons', 1]]]);
        expect(answer.data.naturalPersons[0].name).toEqual(expect.any(String));
        const log = (await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { requestId fields grantsUsed { resource } } } } }`, { id: person.idNumber }, await stack.as('auditor', '投诉核查')))
          .data.accessLog.edges.map((e: any) => e.node);
        expect(log.find((r: any) => r.requestId === 'req-batch-invalid')).toEqual({
          requestId: 'req-batch-invalid', fields: expect.arrayContaining(['NaturalPerson.name', 'NaturalPerson.mobilePhone']), grantsUsed: [{ resource: 'persons.contact-details' }],
        });
      });

      it('masks sensitive values for a masked grant', async () => {
        const answer = await stack.query(PERSON, { id: person.idNumber }, await stack.as('housing-permit', '施工许可'));
        const p = answer.data.naturalPerson;
        expect(p.householdAddress).toMatch(/^福建省.+?市.+?[区县市]\*\*\*\*$/);
        if (p.mobilePhone !== null) expect(p.mobilePhone).toMatch(/^1\d{2}\*{4}\d{4}$/);
      });

      it('keeps not-shared fields out of the federated schema', async () => {
        const answer = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { householdDivisionCode } }`, { id: person.idNumber });
        expect(answer.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      });

      it('discloses only MATCH, MISMATCH or NOT_FOUND to a verification', async () => {
        const answer = await stack.query(`query($id: ID!, $n: String!) { verifyNaturalPerson(idNumber: $id, name: $n) }`, { id: person.idNumber, n: person.name }, await stack.as('market-portal'));
        expect(answer).toMatchObject({ data: { verifyNaturalPerson: 'MATCH' } });
      });
    });

    describe('input a department refuses', () => {
      it('is BAD_USER_INPUT naming the rule, and any number of such requests leaves the department open to everyone', async () => {
        // Date is a custom scalar: the gateway passes it through, the department that owns it checks it.
        const REPORT = `query($from: Date!) { usageReport(from: $from, to: "2026-01-01") { from } }`;
        const { breakerFailures } = RESILIENCE_DEFAULTS; // the gateway's own sharing subgraph runs on the defaults
        for (let i = 0; i <= breakerFailures; i++) {
          const answer = await stack.query(REPORT, { from: 'yesterday' }, await stack.as('market-portal'));
          expect(answer.errors!.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
          expect(answer.errors![0].message).toMatch(/YYYY-MM-DD/);
        }
        const log = await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 1) { edges { node { consumer } } } }`, { id: person.idNumber }, await stack.as('auditor', '投诉核查'));
        expect(log.errors).toBeUndefined();
      });
    });

    describe('dates', () => {
      it('refuses a date the calendar does not have (2026-02-30) with BAD_USER_INPUT naming it, instead of answering for it', async () => {
        // Date.parse rolls 2026-02-30 over to 2026-03-02: it was taken, and echoed as "2026-02-30".
        const REPORT = `query($from: Date!, $to: Date!) { usageReport(from: $from, to: $to) { from } }`;
        for (const [from, to] of [['2026-02-30', '2026-03-31'], ['2026-03-01', '2027-02-29']]) {
          const answer = await stack.query(REPORT, { from, to }, await stack.as('auditor', '投诉核查'));
          const bad = from === '2026-02-30' ? from : to;
          expect(answer.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([
            ['BAD_USER_INPUT', expect.stringContaining(`A Date is a real calendar date written YYYY-MM-DD, not "${bad}"`)],
          ]);
          expect(answer.data?.usageReport ?? null).toBeNull();
        }
        // Written into the query, the same: the caller's bad input, not the department's schema differing.
        const literal = await stack.query(`{ usageReport(from: "2027-02-29", to: "2027-03-31") { from } }`, {}, await stack.as('auditor', '投诉核查'));
        expect(literal.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([
          ['BAD_USER_INPUT', expect.stringContaining('A Date is a real calendar date written YYYY-MM-DD, not "2027-02-29"')],
        ]);
      });
    });

    describe('conditional-sharing applications', () => {
      const APPLY = `mutation($r: ID!, $p: String!) { applyForAccess(resource: $r, purpose: $p) { id status deadline overdue submittedAt } }`;
      const DECIDE = `mutation($id: ID!, $ok: Boolean!, $why: String!) { decideAccessApplication(id: $id, approve: $ok, reason: $why) { id status reason decidedBy history { action actor reason } } }`;

      it('is applied for, decided by the owner only, used at once, revoked, and every step is kept', async () => {
        const applied = await stack.query(APPLY, { r: 'persons.contact-details', p: '企业开办：核验法定代表人住址' }, await stack.as('market-portal'));
        expect(applied.errors).toBeUndefined();
        const application = applied.data.applyForAccess;
        expect(application.status).toBe('PENDING');
        // 10 working days after the day it was made in China (gateway/__tests__/working-days.test.ts counts across holidays).
        expect(application.deadline).toBe(addWorkingDays(dayInChina(application.submittedAt), 10));
        expect(application.deadline > dayInChina(application.submittedAt)).toBe(true);
        expect(application.overdue).toBe(false);

        // A department does not apply to itself for what it reads already.
        const own = await stack.query(APPLY, { r: 'credit.records', p: '信用修复复核' }, await stack.as('dept-credit'));
        expect(own.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([
          ['BAD_USER_INPUT', "credit.records is your own department's (credit): its operators read it without a grant, stating a purpose (X-Purpose)"],
        ]);

        const again = await stack.query(APPLY, { r: 'persons.contact-details', p: '再次申请' }, await stack.as('market-portal'));
        expect(again.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });

        const wrongOwner = await stack.query(DECIDE, { id: application.id, ok: true, why: '同意' }, await stack.as('dept-credit'));
        expect(wrongOwner.errors![0].extensions?.code).toBe('FORBIDDEN');
        const byConsumer = await stack.query(DECIDE, { id: application.id, ok: true, why: '同意' }, await stack.as('market-portal'));
        expect(byConsumer.errors![0].extensions?.code).toBe('FORBIDDEN');

        const before = await stack.query(PERSON, { id: person.idNumber }, await stack.as('market-portal', '企业开办'));
        expect(before.data.naturalPerson.householdAddress).toBeNull();

        // An application's number as the gateway gives it out, not another written otherwise: a decision cannot be undone.
        for (const id of [`0x${Number(application.id).toString(16)}`, ` ${application.id}`, `${application.id}e0`, `0${application.id}`, '']) {
          const misnumbered = await stack.query(DECIDE, { id, ok: false, why: '用途不明' }, await stack.as('dept-persons'));
          expect(misnumbered.errors![0]).toMatchObject({ message: `id must be a record number, not "${id}"`, extensions: { code: 'BAD_USER_INPUT', argument: 'id' } });
        }
        // A decision states its reasons in words: punctuation alone is none.
        const wordless = await stack.query(DECIDE, { id: application.id, ok: false, why: '--' }, await stack.as('dept-persons'));
        expect(wordless.errors![0]).toMatchObject({ message: 'A decision states its reasons, in words (at least two letters)', extensions: { code: 'BAD_USER_INPUT', argument: 'reason' } });
        const decided = await stack.query(DECIDE, { id: application.id, ok: true, why: '用途明确，同意共享' }, await stack.as('dept-persons'));
        expect(decided.errors).toBeUndefined();
        expect(decided.data.decideAccessApplication).toMatchObject({ status: 'APPROVED', decidedBy: 'dept-persons' });

        const after = await stack.query(PERSON, { id: person.idNumber }, await stack.as('market-portal', '企业开办'));
        expect(after.data.naturalPerson.householdAddress).toMatch(/^福建省/);
        expect(after.data.naturalPerson.credit.entries).toBeNull(); // another resource, not granted

        const grants = await stack.query(`{ accessGrants { id resource consumer active } }`, undefined, await stack.as('market-portal'));
        const grant = grants.data.accessGrants.find((g: any) => g.resource === 'persons.contact-details');
        expect(grant).toMatchObject({ consumer: 'market-portal', active: true });

        const wordlessRevocation = await stack.query(`mutation($id: ID!) { revokeAccessGrant(id: $id, reason: "1234") { active } }`, { id: grant.id }, await stack.as('dept-persons'));
        expect(wordlessRevocation.errors![0]).toMatchObject({ message: 'A revocation states its reasons, in words (at least two letters)', extensions: { code: 'BAD_USER_INPUT' } });
        const revoked = await stack.query(`mutation($id: ID!) { revokeAccessGrant(id: $id, reason: "用途已完成") { active revokedBy revokeReason } }`, { id: grant.id }, await stack.as('dept-persons'));
        expect(revoked.data.revokeAccessGrant).toEqual({ active: false, revokedBy: 'dept-persons', revokeReason: '用途已完成' });
        const afterRevoke = await stack.query(PERSON, { id: person.idNumber }, await stack.as('market-portal', '企业开办'));
        expect(afterRevoke.data.naturalPerson.householdAddress).toBeNull();

        // The read made under the grant shows, beside the purpose stated then, the one approved; the
        // grant's later revocation does not change what was in force at the time.
        const log = await stack.query(
          `query($id: ID!) { accessLog(idNumber: $id, first: 100) { edges { node { consumer purpose fields grantsUsed { resource grantId approvedPurpose } } } } }`,
          { id: person.idNumber },
          await stack.as('auditor', '投诉核查'),
        );
        const reads = log.data.accessLog.edges.map((e: any) => e.node).filter((r: any) => r.consumer === 'market-portal' && r.fields.includes('NaturalPerson.householdAddress'));
        expect(reads).toHaveLength(1);
        expect(reads[0]).toMatchObject({ purpose: '企业开办', grantsUsed: [{ resource: 'persons.contact-details', grantId: grant.id, approvedPurpose: '企业开办：核验法定代表人住址' }] });

        const history = await stack.query(`{ accessApplications { id history { action actor reason } } }`, undefined, await stack.as('dept-persons'));
        const steps = history.data.accessApplications.find((a: any) => a.id === application.id).history;
        expect(steps.map((s: any) => [s.action, s.actor])).toEqual([
          ['SUBMITTED', 'market-portal'], ['APPROVED', 'dept-persons'], ['REVOKED', 'dept-persons'],
        ]);
      });

      it('lets one grant decide: approving new terms supersedes the grant in force, and a masked grant needs something to mask', async () => {
        const masked = await stack.query(PERSON, { id: person.idNumber }, await stack.as('housing-permit', '施工许可'));
        expect(masked.data.naturalPerson.mobilePhone).toMatch(/^\d{3}\*{4}\d{4}$/);
        const [before] = (await stack.query(`{ accessGrants { id resource active masked } }`, undefined, await stack.as('housing-permit'))).data.accessGrants
          .filter((g: any) => g.resource === 'persons.contact-details' && g.active);

        // A renewal that says nothing of masking keeps it: unmasking is said, never implied.
        const renewal = await stack.query(APPLY, { r: 'persons.contact-details', p: '施工许可：续期' }, await stack.as('housing-permit'));
        const renewed = await stack.query(
          `mutation($id: ID!) { decideAccessApplication(id: $id, approve: true, reason: "续期，条件不变") { status } }`,
          { id: renewal.data.applyForAccess.id },
          await stack.as('dept-persons'),
        );
        expect(renewed.errors).toBeUndefined();
        const afterRenewal = (await stack.query(`{ accessGrants { id resource active masked } }`, undefined, await stack.as('housing-permit'))).data.accessGrants
          .filter((g: any) => g.resource === 'persons.contact-details' && g.active);
        expect(afterRenewal).toEqual([expect.objectContaining({ masked: true })]);
        expect(afterRenewal[0].id).not.toBe(before.id);
        const stillMasked = await stack.query(PERSON, { id: person.idNumber }, await stack.as('housing-permit', '施工许可'));
        expect(stillMasked.data.naturalPerson.mobilePhone).toMatch(/^\d{3}\*{4}\d{4}$/);

        const applied = await stack.query(APPLY, { r: 'persons.contact-details', p: '施工许可：现场联系，需完整电话' }, await stack.as('housing-permit'));
        const decided = await stack.query(
          `mutation($id: ID!) { decideAccessApplication(id: $id, approve: true, reason: "用途明确", masked: false) { status } }`,
          { id: applied.data.applyForAccess.id },
          await stack.as('dept-persons'),
        );
        expect(decided.errors).toBeUndefined();
        const grants = (await stack.query(`{ accessGrants { id resource active masked revokedBy revokeReason } }`, undefined, await stack.as('housing-permit'))).data.accessGrants
          .filter((g: any) => g.resource === 'persons.contact-details');
        const now = grants.filter((g: any) => g.active);
        expect(now).toEqual([expect.objectContaining({ masked: false })]);
        expect(grants.find((g: any) => g.id === afterRenewal[0].id)).toMatchObject({
          active: false, revokedBy: 'dept-persons', revokeReason: `superseded by grant ${now[0].id} (application ${applied.data.applyForAccess.id})`,
        });
        const full = await stack.query(PERSON, { id: person.idNumber }, await stack.as('housing-permit', '施工许可'));
        expect(full.data.naturalPerson.mobilePhone).toMatch(/^\d{11}$/);
        const catalog = (await stack.query(`{ catalog { conditionalResources { name grantedTo maskedFor } } }`, undefined, await stack.as('auditor'))).data.catalog;
        expect(catalog.conditionalResources.find((r: any) => r.name === 'persons.contact-details')).toMatchObject({ maskedFor: [] });

        // credit.records has no item with a masked form: "masked" would read in full while saying masked.
        const credit = await stack.query(APPLY, { r: 'credit.records', p: '施工许可：核查失信记录' }, await stack.as('housing-permit'));
        const maskedCredit = await stack.query(
          `mutation($id: ID!) { decideAccessApplication(id: $id, approve: true, reason: "用途明确", masked: true) { status } }`,
          { id: credit.data.applyForAccess.id },
          await stack.as('dept-credit'),
        );
        expect(maskedCredit.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([
          ['BAD_USER_INPUT', expect.stringContaining("masked: none of credit.records's items (CreditProfile.entries) has a masked form")],
        ]);
        const stillPending = await stack.query(`{ accessApplications(status: PENDING) { id } }`, undefined, await stack.as('dept-credit'));
        expect(stillPending.data.accessApplications.map((a: any) => a.id)).toContain(credit.data.applyForAccess.id);
      });

      it("shows a department operator its own applications and grants for another department's resources, beside those for its own", async () => {
        const own = (await stack.query(APPLY, { r: 'persons.contact-details', p: '信用核查：联系失信当事人' }, await stack.as('dept-credit'))).data.applyForAccess;
        const others = (await stack.query(APPLY, { r: 'persons.contact-details', p: '企业开办：联系法定代表人' }, await stack.as('market-portal'))).data.applyForAccess;
        const seen = async () => (await stack.query(`{ accessApplications { id resource } }`, undefined, await stack.as('dept-credit'))).data.accessApplications.map((a: any) => a.id);
        expect(await seen()).toContain(own.id);
        // Another consumer's application for a third department's resource is not dept-credit's to see.
        expect(await seen()).not.toContain(others.id);
        await stack.query(DECIDE, { id: own.id, ok: true, why: '用途明确' }, await stack.as('dept-persons'));
        await stack.query(DECIDE, { id: others.id, ok: false, why: '测试申请' }, await stack.as('dept-persons'));
        const grants = (await stack.query(`{ accessGrants { consumer resource active } }`, undefined, await stack.as('dept-credit'))).data.accessGrants;
        expect(grants).toContainEqual({ consumer: 'dept-credit', resource: 'persons.contact-details', active: true });
        // Still those for credit's own resource, whoever holds them; and no one else's grant of persons'.
        expect(grants.filter((g: any) => g.resource === 'persons.contact-details').map((g: any) => g.consumer)).toEqual(['dept-credit']);
        expect(grants.some((g: any) => g.resource === 'credit.records' && g.consumer === 'drc-approval')).toBe(true);
      });

      it('records a refusal with its reasons', async () => {
        const applied = await stack.query(APPLY, { r: 'credit.records', p: '企业开办：核查失信记录' }, await stack.as('market-portal'));
        const refused = await stack.query(DECIDE, { id: applied.data.applyForAccess.id, ok: false, why: '用途超出企业开办所需' }, await stack.as('dept-credit'));
        expect(refused.data.decideAccessApplication).toMatchObject({ status: 'REFUSED', reason: '用途超出企业开办所需' });
        expect(refused.data.decideAccessApplication.history.map((h: any) => h.action)).toEqual(['SUBMITTED', 'REFUSED']);
      });

      it('refuses an application for something that is not a conditional resource', async () => {
        const answer = await stack.query(APPLY, { r: 'persons.everything', p: '全部数据' }, await stack.as('market-portal'));
        expect(answer.errors![0].message).toMatch(/not a conditional resource.*persons\.contact-details/);
      });

      it('asks for the purpose in words, by the rule X-Purpose follows, and keeps it without unseen characters', async () => {
        for (const p of ['1234', '\u200b\u200b\u200b\u200b', '- - -']) {
          const refused = await stack.query(APPLY, { r: 'credit.records', p }, await stack.as('market-portal'));
          expect(refused.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([
            ['BAD_USER_INPUT', 'purpose: state what the data is for, in words (at least two letters)'],
          ]);
        }
        const applied = await stack.query(APPLY, { r: 'credit.records', p: '\u200b审批\u0000 ' }, await stack.as('market-portal'));
        expect(applied.errors).toBeUndefined();
        const kept = await stack.query(`{ accessApplications(status: PENDING) { id purpose history { action reason } } }`, undefined, await stack.as('dept-credit'));
        expect(kept.data.accessApplications.find((a: any) => a.id === applied.data.applyForAccess.id)).toMatchObject({
          purpose: '审批', history: [{ action: 'SUBMITTED', reason: '审批' }],
        });
        await stack.query(DECIDE, { id: applied.data.applyForAccess.id, ok: false, why: '测试申请' }, await stack.as('dept-credit'));
      });
    });

    describe('no way around the gateway', () => {
      it.each(DEPARTMENTS.map((d) => d.name))('the %s subgraph refuses calls without a valid internal token, _service and _entities included', async (name) => {
        const url = stack.config.subgraphs[name].url;
        for (const query of ['{ _service { sdl } }', '{ _entities(representations: []) { __typename } }']) {
          const bare = await post<any>(url, { query });
          expect(bare.status).toBe(401);
          expect(bare.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
          const consumerToken = await post<any>(url, { query }, await stack.as('drc-approval'));
          expect(consumerToken.status).toBe(401);
        }
        const forged = await new SignJWT({ consumer: 'drc-approval', kind: 'SYSTEM', roles: [] }).setProtectedHeader({ alg: 'ES256' })
          .setIssuer('onesource-gateway').setAudience(name).setExpirationTime('1m').sign((await generateKeyPair('ES256')).privateKey);
        expect((await post<any>(url, { query: '{ _service { sdl } }' }, { authorization: `Bearer ${forged}` })).status).toBe(401);
        const ok = await stack.querySubgraph(name, '{ _service { sdl } }');
        expect(ok.status).toBe(200);
      });

      it('refuses a token made for another department', async () => {
        const url = stack.config.subgraphs.persons.url;
        const { key, kid } = await loadPrivateKey(stack.config.dataDir, 'gateway-signing');
        const forGeo = await new SignJWT({ consumer: 'drc-approval', kind: 'SYSTEM', roles: [] }).setProtectedHeader({ alg: 'ES256', kid })
          .setIssuer('onesource-gateway').setAudience('geo').setIssuedAt().setExpirationTime('1m').sign(key);
        expect((await post<any>(url, { query: '{ _service { sdl } }' }, { authorization: `Bearer ${forGeo}` })).status).toBe(401);
      });
    });

    describe('the audit trail', () => {
      const LOG = `query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { consumer consumerName purpose at fields outcome requestId } } pageInfo { hasNextPage } } }`;

      it('withholds personal data, saying why with HTTP 503, while its record cannot be written', async () => {
        const db = await openGatewayStore(stack.config);
        try {
          await db.schema.renameTable('audit_trail', 'audit_trail_away');
          const answer = await stack.query(PERSON, { id: others[1] }, await stack.as('drc-approval', 'test: 审计不可写'));
          expect(answer.status).toBe(503);
          expect(answer.data?.naturalPerson).toBeUndefined();
          expect(answer.errors).toEqual([expect.objectContaining({
            message: 'The audit trail cannot be written now: personal data is withheld. Try again shortly.',
            extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR', reason: 'AUDIT_TRAIL_UNAVAILABLE' }),
          })]);
        } finally {
          await db.schema.renameTable('audit_trail_away', 'audit_trail');
          await db.destroy();
        }
        const again = await stack.query(PERSON, { id: others[1] }, await stack.as('drc-approval', 'test: 审计恢复'));
        expect(again.errors).toBeUndefined();
        expect(again.data.naturalPerson.name).toEqual(expect.any(String));
      });

      it('records every read of a person with who, why and which fields, for the auditor and the person', async () => {
        const subject = others[0];
        await stack.query(PERSON, { id: subject }, { ...(await stack.as('drc-approval', '并联审批：项目 2026-0001')), 'x-request-id': 'req-audit-1' });
        await stack.query(`query($id: ID!, $n: String!) { verifyNaturalPerson(idNumber: $id, name: $n) }`, { id: subject, n: '某某' }, await stack.as('market-portal'));

        const log = await stack.query(LOG, { id: subject }, await stack.as('auditor', '投诉核查'));
        expect(log.errors).toBeUndefined();
        const records = log.data.accessLog.edges.map((e: any) => e.node);
        const read = records.find((r: any) => r.requestId === 'req-audit-1');
        expect(read).toMatchObject({ consumer: 'drc-approval', consumerName: '投资项目在线审批监管平台', purpose: '并联审批：项目 2026-0001', outcome: 'COMPLETE' });
        expect(read.fields).toEqual(expect.arrayContaining(['NaturalPerson.name', 'NaturalPerson.householdAddress', 'NaturalPerson.credit.entries.kind']));
        expect(records.find((r: any) => r.consumer === 'market-portal').fields).toEqual(['verifyNaturalPerson']);
        expect(new Date(read.at).getTime()).toBeGreaterThan(Date.now() - 600_000);

        // Beside the purpose stated for the read, the grants it used and what they were approved for.
        const USED = `query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { requestId consumer grantsUsed { resource grantId approvedPurpose masked recorded } } } } }`;
        const used = await stack.query(USED, { id: subject }, await stack.as('auditor', '投诉核查'));
        const nodes = used.data.accessLog.edges.map((e: any) => e.node);
        const approved = '投资项目并联审批：核验项目单位及法定代表人信息';
        // Named by the read's own record, in its hash-chained content.
        const grants = await stack.query('{ accessGrants { id resource consumer active } }', {}, await stack.as('auditor'));
        const grantOf = (resource: string) => grants.data.accessGrants.find((g: any) => g.consumer === 'drc-approval' && g.resource === resource && g.active).id;
        expect(nodes.find((r: any) => r.requestId === 'req-audit-1').grantsUsed).toEqual([
          { resource: 'credit.records', grantId: grantOf('credit.records'), approvedPurpose: approved, masked: false, recorded: true },
          { resource: 'persons.contact-details', grantId: grantOf('persons.contact-details'), approvedPurpose: approved, masked: false, recorded: true },
        ]);
        expect(nodes.find((r: any) => r.consumer === 'market-portal').grantsUsed).toEqual([]);

        // Two persons in one answer: each one's log names the grants behind what was read about them.
        await stack.query(
          'query($a: ID!, $b: ID!) { a: naturalPerson(idNumber: $a) { householdAddress } b: naturalPerson(idNumber: $b) { name } }',
          { a: subject, b: others[1] },
          { ...(await stack.as('drc-approval', '并联审批：项目 2026-0002')), 'x-request-id': 'req-audit-two' },
        );
        const grantsIn = async (id: string) => {
          const log = await stack.query(USED, { id }, await stack.as('auditor', '投诉核查'));
          return log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-audit-two').grantsUsed;
        };
        expect(await grantsIn(subject)).toEqual([expect.objectContaining({ resource: 'persons.contact-details', recorded: true })]);
        expect(await grantsIn(others[1])).toEqual([]);
        const kept = await gatewayDb('audit_trail').where('request_id', 'req-audit-two').first('grants');
        expect(JSON.parse(kept.grants)).toEqual({ [subject]: [Number(grantOf('persons.contact-details'))], [others[1]]: [] });
        expect(await verifyAuditChain(gatewayDb)).toMatchObject({ problem: null });

        const own = await stack.query(LOG, { id: subject }, await stack.asCitizen(subject));
        expect(own.data.accessLog.edges.map((e: any) => e.node.consumer)).toContain('drc-approval');
        // Looking at one's own log is not a read of oneself by anyone: it adds nothing to it.
        const again = await stack.query(LOG, { id: subject }, await stack.asCitizen(subject));
        expect(again.data.accessLog.edges).toEqual(own.data.accessLog.edges);
        expect(again.data.accessLog.edges.some((e: any) => e.node.consumer.startsWith('citizen'))).toBe(false);

        // Page by page, from the cursor the log gave out; any other cursor is refused, not read as the start or the end.
        const PAGE = `query($id: ID!, $after: String) { accessLog(idNumber: $id, first: 1, after: $after) { edges { cursor node { requestId } } pageInfo { hasNextPage endCursor } } }`;
        const firstPage = (await stack.query(PAGE, { id: subject }, await stack.asCitizen(subject))).data.accessLog;
        const secondPage = (await stack.query(PAGE, { id: subject, after: firstPage.pageInfo.endCursor }, await stack.asCitizen(subject))).data.accessLog;
        expect(secondPage.edges.map((e: any) => e.node.requestId)).toEqual([own.data.accessLog.edges[1].node.requestId]);
        for (const after of ['zzzz', Buffer.from('seq:').toString('base64url'), Buffer.from('seq:1e1').toString('base64url'), Buffer.from('seq:-3').toString('base64url')]) {
          const bad = await stack.query(PAGE, { id: subject, after }, await stack.asCitizen(subject));
          expect(bad.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', expect.stringMatching(/^after is not a cursor this log gave out/)]]);
        }
      });

      it("lists one consumer's reads over a period for the auditor, newest first, page by page, naming no person", async () => {
        const day = new Date().toISOString().slice(0, 10);
        const TRAIL = `query($consumer: ID!, $from: Date!, $to: Date!, $first: Int, $after: String) {
          auditTrail(consumer: $consumer, from: $from, to: $to, first: $first, after: $after) {
            edges { cursor node { seq consumer consumerName purpose at requestId subjectCount fields outcome grantsUsed { resource grantId approvedPurpose } } }
            pageInfo { hasNextPage endCursor } } }`;
        const portal = await stack.as('market-portal', '企业开办：核验');
        await stack.query(PERSON, { id: others[0] }, { ...portal, 'x-request-id': 'req-trail-1' });
        await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { name } }`, { ids: others }, { ...portal, 'x-request-id': 'req-trail-2' });
        await stack.query(PERSON, { id: others[0] }, { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-trail-other' });

        const auditor = await stack.as('auditor');
        const readsOfTheFirst = (await stack.query(LOG, { id: others[0] }, await stack.asCitizen(others[0]))).data.accessLog.edges.map((e: any) => e.node.requestId);
        expect(readsOfTheFirst).toContain('req-trail-1');
        const first = await stack.query(TRAIL, { consumer: 'market-portal', from: day, to: day, first: 1 }, auditor);
        expect(first.errors).toBeUndefined();
        expect(first.data.auditTrail.pageInfo.hasNextPage).toBe(true);
        expect(first.data.auditTrail.edges[0].node).toMatchObject({
          consumer: 'market-portal', consumerName: expect.any(String), purpose: '企业开办：核验', requestId: 'req-trail-2',
          subjectCount: new Set(others).size, fields: ['NaturalPerson.name'], outcome: 'COMPLETE', grantsUsed: [],
        });
        const next = await stack.query(TRAIL, { consumer: 'market-portal', from: day, to: day, first: 1, after: first.data.auditTrail.pageInfo.endCursor }, auditor);
        const read = next.data.auditTrail.edges[0].node;
        // What the consumer asked for and was refused (conditional items without a grant) was not read.
        expect(read).toMatchObject({ requestId: 'req-trail-1', subjectCount: 1, outcome: 'PARTIAL' });
        expect(read.fields).toContain('NaturalPerson.name');
        expect(read.fields).not.toContain('NaturalPerson.householdAddress');
        expect(Number(read.seq)).toBeLessThan(Number(first.data.auditTrail.edges[0].node.seq));

        // Only that consumer's reads, only those days; the answer names no person, and listing is no read of anyone.
        const all = await stack.query(TRAIL, { consumer: 'market-portal', from: day, to: day, first: 100 }, auditor);
        const nodes = all.data.auditTrail.edges.map((e: any) => e.node);
        expect(nodes.every((n: any) => n.consumer === 'market-portal')).toBe(true);
        expect(nodes.map((n: any) => n.requestId)).not.toContain('req-trail-other');
        expect(JSON.stringify(all.data)).not.toMatch(new RegExp(others.join('|')));
        const log = await stack.query(LOG, { id: others[0] }, await stack.asCitizen(others[0]));
        expect(log.data.accessLog.edges.map((e: any) => e.node.requestId)).toEqual(readsOfTheFirst);
        const before = await stack.query(TRAIL, { consumer: 'market-portal', from: '2020-01-01', to: '2020-12-31' }, auditor);
        expect(before.data.auditTrail.edges).toEqual([]);

        const refused = await stack.query(TRAIL, { consumer: 'market-portal', from: day, to: day }, await stack.as('drc-approval', '并联审批'));
        expect(refused.errors).toEqual([expect.objectContaining({ message: 'The audit trail by consumer is open to auditors', extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
        const unknown = await stack.query(TRAIL, { consumer: 'nobody-here', from: day, to: day }, auditor);
        expect(unknown.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^there is no consumer "nobody-here": one of .*market-portal/), extensions: { code: 'BAD_USER_INPUT' } });
        const backwards = await stack.query(TRAIL, { consumer: 'market-portal', from: day, to: '2020-01-01' }, auditor);
        expect(backwards.errors?.[0]).toMatchObject({ message: `from (${day}) is after to (2020-01-01)`, extensions: { code: 'BAD_USER_INPUT' } });
        for (const after of ['nonsense', Buffer.from(`${day}T00:00:00.000Z|${'9'.repeat(400)}`).toString('base64url'), Buffer.from('x|1').toString('base64url')]) {
          const badCursor = await stack.query(TRAIL, { consumer: 'market-portal', from: day, to: day, after }, auditor);
          expect(badCursor.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^after is not a cursor this trail gave out/), extensions: { code: 'BAD_USER_INPUT' } });
        }
        // The last day the calendar allows bounds the period like any other.
        const open = await stack.query(TRAIL, { consumer: 'market-portal', from: day, to: '9999-12-31', first: 100 }, auditor);
        expect(open.data.auditTrail.edges.map((e: any) => e.node.requestId)).toEqual(nodes.map((n: any) => n.requestId));
      });

      it('lists only the reads that took a conditional resource when the auditor names it', async () => {
        const day = new Date().toISOString().slice(0, 10);
        const drc = await stack.as('drc-approval', '并联审批');
        await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { name householdAddress } }`, { id: others[0] }, { ...drc, 'x-request-id': 'req-res-address' });
        await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { name } }`, { id: others[0] }, { ...drc, 'x-request-id': 'req-res-name' });
        await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { credit { entries { kind } } } }`, { id: others[1] }, { ...drc, 'x-request-id': 'req-res-credit' });
        const TRAIL = `query($resource: ID) { auditTrail(consumer: "drc-approval", from: "${day}", to: "${day}", resource: $resource, first: 100) {
          edges { node { requestId fields grantsUsed { resource grantId } } } pageInfo { hasNextPage } } }`;
        const auditor = await stack.as('auditor');
        const contact = await stack.query(TRAIL, { resource: 'persons.contact-details' }, auditor);
        expect(contact.errors).toBeUndefined();
        const reads = contact.data.auditTrail.edges.map((e: any) => e.node);
        expect(reads.map((r: any) => r.requestId)).toContain('req-res-address');
        expect(reads.map((r: any) => r.requestId)).not.toEqual(expect.arrayContaining(['req-res-name']));
        expect(reads.map((r: any) => r.requestId)).not.toEqual(expect.arrayContaining(['req-res-credit']));
        // Each read listed took the resource, under the grant `grantsUsed` names.
        for (const read of reads) expect(read.grantsUsed).toEqual(expect.arrayContaining([{ resource: 'persons.contact-details', grantId: expect.any(String) }]));
        const credit = await stack.query(TRAIL, { resource: 'credit.records' }, auditor);
        expect(credit.data.auditTrail.edges.map((e: any) => e.node.requestId)).toContain('req-res-credit');
        expect(credit.data.auditTrail.edges.map((e: any) => e.node.requestId)).not.toContain('req-res-address');

        // A resource gone from the catalogue is still one the trail can be searched by, while grants name it.
        await gatewayDb('access_grants').insert({ consumer_id: 'drc-approval', resource: 'persons.retired-item', masked: false, granted_at: '2026-01-05T08:00:00.000Z' });
        const retired = await stack.query(TRAIL, { resource: 'persons.retired-item' }, auditor);
        expect(retired.errors).toBeUndefined();
        expect(retired.data.auditTrail.edges).toEqual([]);
        await gatewayDb('access_grants').where('resource', 'persons.retired-item').delete();

        const unknown = await stack.query(TRAIL, { resource: 'persons.everything' }, auditor);
        expect(unknown.errors?.[0]).toMatchObject({
          message: expect.stringMatching(/^"persons\.everything" is not a conditional resource: one of .*persons\.contact-details/),
          extensions: { code: 'BAD_USER_INPUT' },
        });
      });

      it("records an auditor's look at a person's access log, with the auditor's purpose, for the person to see; refuses it without one", async () => {
        const subject = others[0];
        const unstated = await stack.query(LOG, { id: subject }, await stack.as('auditor'));
        expect(unstated.errors).toEqual([expect.objectContaining({
          message: 'Reading the access log of someone else is recorded: state the purpose of this request in the X-Purpose header, in words (at least two letters)',
          extensions: expect.objectContaining({ code: 'FORBIDDEN', missing: 'PURPOSE' }),
        })]);

        await stack.query(LOG, { id: subject }, { ...(await stack.as('auditor', '投诉核查：2026-信访-0417')), 'x-request-id': 'req-auditor-look' });
        const own = (await stack.query(LOG, { id: subject }, await stack.asCitizen(subject))).data.accessLog.edges.map((e: any) => e.node);
        expect(own.find((r: any) => r.requestId === 'req-auditor-look')).toMatchObject({
          consumer: 'auditor', purpose: '投诉核查：2026-信访-0417', fields: ['accessLog'], outcome: 'COMPLETE',
        });
      });

      it('refuses the aliases the gateway uses to tell whose data an answer carries', async () => {
        // `onesourceSubject: deceasedOn` would have put null where the audit reads whose data this
        // is, and the persons' names would have left unrecorded.
        for (const alias of ['onesourceSubject', 'onesourceEmpty']) {
          const answer = await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { ${alias}: deceasedOn name } }`, { ids: [others[0]] }, await stack.as('market-portal'));
          expect(answer.data).toBeUndefined();
          expect(answer.errors).toEqual([expect.objectContaining({
            message: `The alias "${alias}" is reserved: the gateway uses it to tell whose data an answer carries. Choose another alias`,
            extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
          })]);
        }
      });

      it('costs a refused root field of its own records only that field, not its neighbours', async () => {
        const answer = await stack.query(`{ accessGrants { consumer } usageReport(from: "2026-01-01", to: "2026-12-31") { from } }`, {}, await stack.as('market-portal'));
        expect(answer.data).toEqual({ accessGrants: expect.any(Array), usageReport: null });
        expect(answer.errors).toEqual([expect.objectContaining({ path: ['usageReport'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
      });

      it("records a verification and an auditor's look however the idNumber is written: as digits, or as a variable's default", async () => {
        const page = await stack.query(`{ investmentProjects(first: 40) { edges { node { applicant { legalRepresentative { idNumber name } } } } } }`);
        const someone = page.data.investmentProjects.edges.map((e: any) => e.node.applicant.legalRepresentative).find((r: any) => /^\d{18}$/.test(r.idNumber));
        const asked: [requestId: string, query: string, consumer: string, field: string][] = [
          ['req-digits-verify', `{ verifyNaturalPerson(idNumber: ${someone.idNumber}, name: "${someone.name}") }`, 'market-portal', 'verifyNaturalPerson'],
          ['req-default-verify', `query($id: ID = "${someone.idNumber}") { verifyNaturalPerson(idNumber: $id, name: "${someone.name}") }`, 'market-portal', 'verifyNaturalPerson'],
          ['req-digits-look', `{ accessLog(idNumber: ${someone.idNumber}) { edges { cursor } } }`, 'auditor', 'accessLog'],
        ];
        for (const [requestId, query, consumer] of asked) {
          const answer = await stack.query(query, {}, { ...(await stack.as(consumer, '投诉核查')), 'x-request-id': requestId });
          expect(answer.errors).toBeUndefined();
        }
        const own = (await stack.query(LOG, { id: someone.idNumber }, await stack.asCitizen(someone.idNumber))).data.accessLog.edges.map((e: any) => e.node);
        for (const [requestId, , consumer, field] of asked) expect(own).toContainEqual(expect.objectContaining({ requestId, consumer, fields: [field] }));
      });

      it('records a list of verifications as a read of each person whose item was answered, however the list is written', async () => {
        const page = await stack.query(`{ investmentProjects(first: 40) { edges { node { applicant { legalRepresentative { idNumber name } } } } } }`);
        const [a, b] = page.data.investmentProjects.edges.map((e: any) => e.node.applicant.legalRepresentative)
          .filter((r: any, i: number, all: any[]) => all.findIndex((o: any) => o.idNumber === r.idNumber) === i);
        const invalid = `${a.idNumber.slice(0, 17)}${a.idNumber[17] === '6' ? '5' : '6'}`;
        const asked: [requestId: string, query: string, variables: Record<string, unknown>][] = [
          ['req-list-variable', `query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`, { r: [{ idNumber: a.idNumber, name: a.name }, { idNumber: invalid, name: a.name }] }],
          ['req-list-literal', `{ verifyNaturalPersons(requests: [{ idNumber: "${a.idNumber}", name: "某某" }, { idNumber: "${b.idNumber}", name: "${b.name}" }]) }`, {}],
          ['req-list-mixed', `query($id: ID!) { checks: verifyNaturalPersons(requests: [{ idNumber: $id, name: "某某" }]) }`, { id: b.idNumber }],
          ['req-list-one', `query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`, { r: { idNumber: a.idNumber, name: a.name } }],
          // As the department reads it: spaces around the number are not part of it.
          ['req-list-padded', `query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`, { r: [{ idNumber: ` ${b.idNumber} `, name: b.name }] }],
          ['req-list-item-variable', `query($r: VerificationRequest!) { verifyNaturalPersons(requests: [$r, { idNumber: "${invalid}", name: "某某" }]) }`, { r: { idNumber: a.idNumber, name: a.name } }],
          ['req-list-default', `query($r: [VerificationRequest!]! = [{ idNumber: "${a.idNumber}", name: "某某" }]) { verifyNaturalPersons(requests: $r) }`, {}],
          ['req-list-object-literal', `{ verifyNaturalPersons(requests: { idNumber: "${a.idNumber}", name: "某某" }) }`, {}],
        ];
        for (const [requestId, query, variables] of asked) {
          const answer = await stack.query(query, variables, { ...(await stack.as('market-portal')), 'x-request-id': requestId });
          // Answered, every way GraphQL lets the list be written (none withheld for want of its subjects).
          expect([requestId, answer.status, answer.data?.verifyNaturalPersons?.[0] ?? answer.data?.checks?.[0]]).toEqual([requestId, 200, expect.any(String)]);
        }
        const logOf = async (idNumber: string) =>
          (await stack.query(LOG, { id: idNumber }, await stack.asCitizen(idNumber))).data.accessLog.edges.map((e: any) => e.node.requestId);
        const ofA = await logOf(a.idNumber);
        const ofB = await logOf(b.idNumber);
        expect(ofA).toEqual(expect.arrayContaining(['req-list-variable', 'req-list-literal', 'req-list-one', 'req-list-item-variable', 'req-list-default', 'req-list-object-literal']));
        expect(ofA).not.toContain('req-list-mixed');
        expect(ofB).toEqual(expect.arrayContaining(['req-list-literal', 'req-list-mixed', 'req-list-padded']));
        expect(ofB).not.toContain('req-list-variable');
        // The invalid number's item was not answered: no one was read through it.
        const { edges } = (await stack.query(LOG, { id: invalid }, await stack.as('auditor', '投诉核查'))).data?.accessLog ?? { edges: [] };
        expect(edges).toEqual([]);
      });

      it('refuses a verification without a name, naming the argument, and records no read through it', async () => {
        const page = await stack.query(`{ investmentProjects(first: 40) { edges { node { applicant { legalRepresentative { idNumber name } } } } } }`);
        const reps = page.data.investmentProjects.edges.map((e: any) => e.node.applicant.legalRepresentative);
        const someone = reps[reps.length - 1];
        const one = await stack.query(`query($id: ID!) { verifyNaturalPerson(idNumber: $id, name: "  ") }`, { id: someone.idNumber }, { ...(await stack.as('market-portal')), 'x-request-id': 'req-blank-one' });
        expect(one.data.verifyNaturalPerson).toBeNull();
        expect(one.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'Invalid name: the name to verify is blank: send the name the applicant gave']]);
        const list = await stack.query(`query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`,
          { r: [{ idNumber: someone.idNumber, name: someone.name }, { idNumber: someone.idNumber, name: '' }] }, { ...(await stack.as('market-portal')), 'x-request-id': 'req-blank-list' });
        expect(list.data.verifyNaturalPersons).toEqual(['MATCH', null]);
        expect(list.errors!.map((e) => [e.extensions?.code, e.message, e.path])).toEqual([['BAD_USER_INPUT', 'Invalid requests[1].name: the name to verify is blank: send the name the applicant gave', ['verifyNaturalPersons', 1]]]);
        // The registered name with a zero-width space pasted into it, or a name of nothing but
        // such characters: not another name (MISMATCH), but one no register holds.
        const invisible = await stack.query(`query($id: ID!, $a: String!, $b: String!) { a: verifyNaturalPerson(idNumber: $id, name: $a) b: verifyNaturalPerson(idNumber: $id, name: $b) }`,
          { id: someone.idNumber, a: `${someone.name}\u200b`, b: '\u2060\ufeff' }, { ...(await stack.as('market-portal')), 'x-request-id': 'req-invisible-name' });
        expect(invisible.data).toEqual({ a: null, b: null });
        expect(invisible.errors!.map((e) => [e.extensions?.code, e.message, e.path])).toEqual([
          ['BAD_USER_INPUT', `Invalid name: the name to verify holds a control or format character (U+200B at character ${[...someone.name].length + 1}), which no registered name has: send the name as the applicant wrote it`, ['a']],
          ['BAD_USER_INPUT', 'Invalid name: the name to verify holds a control or format character (U+2060 at character 1), which no registered name has: send the name as the applicant wrote it', ['b']],
        ]);
        const log = (await stack.query(LOG, { id: someone.idNumber }, await stack.asCitizen(someone.idNumber))).data.accessLog.edges.map((e: any) => e.node.requestId);
        expect(log).toContain('req-blank-list');
        expect(log).not.toContain('req-blank-one');
        expect(log).not.toContain('req-invisible-name');
      });

      it("gives each person the outcome of the read of them: another's failed item does not make theirs PARTIAL", async () => {
        const page = await stack.query(`{ investmentProjects(first: 40) { edges { node { applicant { legalRepresentative { idNumber } } } } } }`);
        const reps: string[] = [...new Set<string>(page.data.investmentProjects.edges.map((e: any) => e.node.applicant.legalRepresentative.idNumber))];
        // Two persons no other test here reads, so that their logs hold only these reads.
        const [p, q] = reps.filter((r) => r !== person.idNumber && !others.includes(r)).slice(-2);
        const invalid = `${p.slice(0, 17)}${p[17] === '6' ? '5' : '6'}`;
        const asked: [requestId: string, query: string, variables: Record<string, unknown>, purpose?: string][] = [
          // q's item fails (an invalid idNumber): p's was answered whole.
          ['req-outcome-batch', `query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`, { r: [{ idNumber: p, name: '某某' }, { idNumber: invalid, name: '某某' }] }],
          // Without a purpose, q's householdAddress is refused; p's name is not.
          ['req-outcome-refused', `query($p: ID!, $q: ID!) { x: naturalPerson(idNumber: $p) { name } y: naturalPerson(idNumber: $q) { name householdAddress } }`, { p, q }],
        ];
        for (const [requestId, query, variables] of asked) {
          const answer = await stack.query(query, variables, { ...(await stack.as('drc-approval')), 'x-request-id': requestId });
          expect(answer.errors?.length).toBe(1);
        }
        const outcomes = async (idNumber: string) => Object.fromEntries((await stack.query(LOG, { id: idNumber }, await stack.asCitizen(idNumber))).data.accessLog.edges
          .filter((e: any) => e.node.requestId.startsWith('req-outcome-')).map((e: any) => [e.node.requestId, e.node.outcome]));
        expect(await outcomes(p)).toEqual({ 'req-outcome-batch': 'COMPLETE', 'req-outcome-refused': 'COMPLETE' });
        expect(await outcomes(q)).toEqual({ 'req-outcome-refused': 'PARTIAL' });
        // The trail still says the request as a whole was partial, in the record's hash-chained content.
        const records = await gatewayDb('audit_trail').whereIn('request_id', ['req-outcome-batch', 'req-outcome-refused']).orderBy('seq').select('outcome', 'partial_subjects');
        expect(records).toEqual([{ outcome: 'PARTIAL', partial_subjects: '[]' }, { outcome: 'PARTIAL', partial_subjects: JSON.stringify([q]) }]);
      });

      it('takes a purpose of invisible characters (a NUL, a zero-width space), or without words, for none', async () => {
        const { authorization } = await stack.as('drc-approval');
        // %E3%85%A4: U+3164 HANGUL FILLER, a letter to \p{L} that shows nothing.
        for (const purpose of ['%00', '%E2%80%8B', '%E2%80%8B%00%20', '%E3%85%A4%E3%85%A4', '-', '1', 'x', '...', '%E5%AE%A1%201']) {
          const answer = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { name householdAddress } }`, { id: others[0] }, { authorization, 'x-purpose': purpose });
          expect(answer.data.naturalPerson).toEqual({ name: expect.any(String), householdAddress: null });
          expect(answer.errors).toEqual([expect.objectContaining({
            message: expect.stringContaining('in words (at least two letters)'),
            extensions: expect.objectContaining({ code: 'FORBIDDEN', missing: 'PURPOSE' }),
          })]);
        }
        // Two letters in any script are words enough: 审批 (approval), ok.
        for (const purpose of ['%E5%AE%A1%E6%89%B9', 'ok']) {
          const answer = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { householdAddress } }`, { id: others[0] }, { authorization, 'x-purpose': purpose });
          expect(answer.errors).toBeUndefined();
        }
      });

      it('records a purpose sent as raw UTF-8 (as curl sends it) as it was written', async () => {
        const subject = others[1];
        const { authorization } = await stack.as('drc-approval');
        // fetch, like Node's http, sends each character of a header as one byte: these are the UTF-8 bytes.
        const raw = Buffer.from('并联审批：原文', 'utf8').toString('latin1');
        await stack.query(PERSON, { id: subject }, { authorization, 'x-purpose': raw, 'x-request-id': 'req-raw-purpose' });
        const log = await stack.query(LOG, { id: subject }, await stack.as('auditor', '投诉核查'));
        const record = log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-raw-purpose');
        expect(record.purpose).toBe('并联审批：原文');
      });

      it('records no field asked under a refused one: it was never read', async () => {
        const subject = others[1];
        const headers = { ...(await stack.as('market-portal')), 'x-request-id': 'req-refused-under' };
        const answer = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { name credit { onBlacklist entries { kind } } } }`, { id: subject }, headers);
        expect(answer.data.naturalPerson.credit.entries).toBeNull();
        const log = await stack.query(LOG, { id: subject }, await stack.as('auditor', '投诉核查'));
        const record = log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-refused-under');
        expect(record.fields).toEqual(['NaturalPerson.credit', 'NaturalPerson.credit.onBlacklist', 'NaturalPerson.name']);
        expect(record.outcome).toBe('PARTIAL');
      });

      it('shows each person only the fields read about them, when one request read two persons', async () => {
        const [a, b] = [others[0], others[1]];
        const headers = { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-two-persons' };
        const answer = await stack.query(
          `query($a: ID!, $b: ID!) { a: naturalPerson(idNumber: $a) { name } b: naturalPerson(idNumber: $b) { householdAddress credit { onBlacklist } } }`,
          { a, b }, headers,
        );
        expect(answer.errors).toBeUndefined();
        const fieldsFor = async (id: string) =>
          (await stack.query(LOG, { id }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-two-persons').fields;
        expect(await fieldsFor(a)).toEqual(['NaturalPerson.name']);
        expect(await fieldsFor(b)).toEqual(['NaturalPerson.credit', 'NaturalPerson.credit.onBlacklist', 'NaturalPerson.householdAddress']);
      });

      it('records that a person was found when no field of theirs was asked', async () => {
        const subject = others[1];
        const headers = { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-exists' };
        const answer = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { __typename } }`, { id: subject }, headers);
        expect(answer.data.naturalPerson).toEqual({ __typename: 'NaturalPerson' });
        const log = await stack.query(LOG, { id: subject }, await stack.as('auditor', '投诉核查'));
        expect(log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-exists')).toMatchObject({ consumer: 'drc-approval', fields: ['naturalPerson'] });
      });

      it('shows a person\'s log to nobody else', async () => {
        const subject = others[0];
        for (const headers of [await stack.as('market-portal'), await stack.as('drc-approval', '并联审批'), await stack.asCitizen(person.idNumber)]) {
          const answer = await stack.query(LOG, { id: subject }, headers);
          expect(answer.errors![0].extensions?.code).toBe('FORBIDDEN');
        }
        const citizenElsewhere = await stack.query(PERSON, { id: subject }, await stack.asCitizen(subject));
        expect(citizenElsewhere.data.naturalPerson).toBeNull();
        expect(citizenElsewhere.errors![0].extensions?.code).toBe('FORBIDDEN');
      });

      it('records the persons reached through joins, with the consumer that asked', async () => {
        const page = await stack.query(`{ investmentProjects(first: 1) { edges { node { projectCode } } } }`);
        const review = await stack.query(PROJECT_REVIEW, { projectCode: page.data.investmentProjects.edges[0].node.projectCode }, { ...(await stack.as('market-portal')), 'x-request-id': 'req-join-1' });
        const rep = review.data.investmentProject.applicant.legalRepresentative.idNumber;
        const log = await stack.query(LOG, { id: rep }, await stack.as('auditor', '投诉核查'));
        const record = log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-join-1');
        expect(record).toMatchObject({ consumer: 'market-portal', purpose: null });
        expect(record.fields).toEqual(expect.arrayContaining(['NaturalPerson.name', 'NaturalPerson.credit.onBlacklist']));
      });

      it('cannot be updated or deleted through the store, and the chain verifies', async () => {
        const first = await gatewayDb('audit_trail').orderBy('seq').first();
        expect(first).toBeDefined();
        const triggers = store === 'mysql'
          ? (await gatewayDb.raw('SHOW TRIGGERS'))[0].map((t: any) => t.Trigger)
          : (await gatewayDb('sqlite_master').where('type', 'trigger').select('name')).map((t: any) => t.name);
        expect(triggers).toEqual(expect.arrayContaining(['audit_trail_no_update', 'audit_trail_retention', 'audit_subjects_no_update', 'audit_subjects_retention']));
        // Compared by message: better-sqlite3's SqliteError is not an Error of this test's realm
        // once an earlier suite loaded the addon, so `rejects.toThrow` would not recognise it.
        const refusal = (q: PromiseLike<unknown>) => Promise.resolve(q).then(() => 'accepted', (e: { message?: string }) => String(e?.message));
        expect(await refusal(gatewayDb('audit_trail').where('seq', first.seq).update({ purpose: 'x' }))).toMatch(/append-only/);
        expect(await refusal(gatewayDb('audit_trail').where('seq', first.seq).delete())).toMatch(/append-only|three years/);
        expect((await gatewayDb('audit_trail').where('seq', first.seq).first()).purpose).toBe(first.purpose);
        // Nor the index of who was read, through which accessLog finds a person's records.
        const row = await gatewayDb('audit_subjects').orderBy('seq').first();
        expect(row).toBeDefined();
        expect(await refusal(gatewayDb('audit_subjects').where(row).update({ id_number: '110101199003077777' }))).toMatch(/append-only/);
        expect(await refusal(gatewayDb('audit_subjects').where(row).delete())).toMatch(/three years/);
        expect(await gatewayDb('audit_subjects').where(row).first()).toEqual(row);
        const report = await verifyAuditChain(gatewayDb);
        expect(report.problem).toBeNull();
        expect(report.records).toBeGreaterThan(3);
      });

      it('names the record an administrator changed, removed or reordered behind the triggers', async () => {
        await gatewayDb.raw('DROP TRIGGER audit_trail_no_update');
        await gatewayDb.raw('DROP TRIGGER audit_trail_retention');
        const cli = () => run(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'scripts', 'audit-verify.ts')], { env: stack.env }).then(
          ({ stdout }) => ({ code: 0, out: stdout }),
          (e) => ({ code: e.code as number, out: `${e.stdout}${e.stderr}` }),
        );
        const intact = await cli();
        expect(intact.code).toBe(0);
        expect(intact.out).toMatch(/^Audit trail intact: \d+ records, every hash and link verified; the index of who was read checked too/);

        // A read hidden from the person and the auditor: its row in the index deleted.
        await gatewayDb.raw('DROP TRIGGER audit_subjects_retention');
        const row = await gatewayDb('audit_subjects').orderBy('seq', 'desc').first();
        await gatewayDb('audit_subjects').where(row).delete();
        const hidden = await cli();
        expect(hidden.code).toBe(1);
        expect(hidden.out).toContain(`AUDIT TRAIL BROKEN in its index of who was read`);
        expect(hidden.out).toContain(`record ${row.seq} names ${row.id_number}, but the index of who was read has no row for it (missing)`);
        await gatewayDb('audit_subjects').insert(row);
        // A read attributed to someone the record does not name.
        const stranger = '110101199003077777';
        expect(JSON.parse((await gatewayDb('audit_trail').where('seq', row.seq).first()).subjects)).not.toContain(stranger);
        await gatewayDb('audit_subjects').insert({ id_number: stranger, seq: row.seq });
        const misattributed = await cli();
        expect(misattributed.code).toBe(1);
        expect(misattributed.out).toContain(`record ${row.seq} does not name ${stranger}, but the index of who was read has a row for ${stranger} in it (unexplained)`);
        await gatewayDb('audit_subjects').where({ id_number: stranger, seq: row.seq }).delete();
        expect((await cli()).code).toBe(0);

        const original = await gatewayDb('audit_trail').where('seq', 2).first();
        await gatewayDb('audit_trail').where('seq', 2).update({ consumer_id: 'someone-else' });
        expect((await verifyAuditChain(gatewayDb)).problem).toMatchObject({ kind: 'CHANGED', seq: 2 });
        const changed = await cli();
        expect(changed.code).toBe(1);
        expect(changed.out).toMatch(/record 2 was changed/);
        await gatewayDb('audit_trail').where('seq', 2).update({ consumer_id: original.consumer_id });
        expect((await verifyAuditChain(gatewayDb)).problem).toBeNull();

        const third = await gatewayDb('audit_trail').where('seq', 3).first();
        const fourth = await gatewayDb('audit_trail').where('seq', 4).first();
        await gatewayDb('audit_trail').where('seq', 3).update({ ...fourth, seq: 3 });
        await gatewayDb('audit_trail').where('seq', 4).update({ ...third, seq: 4 });
        expect((await verifyAuditChain(gatewayDb)).problem).toMatchObject({ seq: 3 });
        await gatewayDb('audit_trail').where('seq', 3).update(third);
        await gatewayDb('audit_trail').where('seq', 4).update(fourth);

        await gatewayDb('audit_trail').where('seq', 3).delete();
        expect((await verifyAuditChain(gatewayDb)).problem).toMatchObject({ kind: 'REMOVED', seq: 3 });
        expect((await cli()).out).toMatch(/record 3 was removed/);
      });
    });
  });
}

defineSharingSuite('sqlite');
defineSharingSuite('mysql');
