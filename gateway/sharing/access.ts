import type { Knex } from 'knex';
import { addWorkingDays } from './working-days';
import { dayInChina } from '../../shared/identifiers';

export interface AccessApplication {
  id: number;
  consumerId: string;
  resource: string;
  purpose: string;
  status: 'PENDING' | 'APPROVED' | 'REFUSED';
  submittedAt: string;
  deadline: string;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
}

export interface AccessGrant {
  id: number;
  consumerId: string;
  resource: string;
  applicationId: number | null;
  masked: boolean;
  grantedAt: string;
  validUntil: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
}

export interface AccessEvent {
  applicationId: number | null;
  grantId: number | null;
  at: string;
  actor: string;
  action: 'SUBMITTED' | 'APPROVED' | 'REFUSED' | 'REVOKED';
  reason: string | null;
}

export const DECISION_WORKING_DAYS = 10;

const APPLICATION = {
  id: 'id', consumerId: 'consumer_id', resource: 'resource', purpose: 'purpose', status: 'status',
  submittedAt: 'submitted_at', deadline: 'deadline', decidedAt: 'decided_at', decidedBy: 'decided_by', reason: 'reason',
};
const GRANT = {
  id: 'id', consumerId: 'consumer_id', resource: 'resource', applicationId: 'application_id', masked: 'masked',
  grantedAt: 'granted_at', validUntil: 'valid_until', revokedAt: 'revoked_at', revokedBy: 'revoked_by', revokeReason: 'revoke_reason',
};
const EVENT = { applicationId: 'application_id', grantId: 'grant_id', at: 'at', actor: 'actor', action: 'action', reason: 'reason' };

const toGrant = (row: AccessGrant): AccessGrant => ({ ...row, masked: Boolean(row.masked) });

export function isActive(grant: AccessGrant, today: string): boolean {
  return !grant.revokedAt && (!grant.validUntil || grant.validUntil >= today);
}

/**
 * The grant that decides, per resource, among one consumer's grants in force. Approving a new
 * application supersedes the grant in force (`decide`), so there is one; where a store written
 * before that holds two, the masked one decides: the stricter reading, not whichever came last.
 */
export function grantsByResource<G extends Pick<AccessGrant, 'resource' | 'masked'>>(grants: readonly G[]): Map<string, G> {
  const byResource = new Map<string, G>();
  for (const grant of grants) {
    const held = byResource.get(grant.resource);
    if (!held || (grant.masked && !held.masked)) byResource.set(grant.resource, grant);
  }
  return byResource;
}

export class AccessRuleError extends Error {}

/**
 * Applications and decisions of one consumer take turns (its row in the registry, locked until the
 * transaction ends): two at once would each find no pending application, or no grant in force to
 * supersede, and leave two (MySQL; SQLite writes one transaction at a time anyway).
 */
async function lockConsumer(trx: Knex.Transaction, consumerId: string): Promise<void> {
  await trx('consumers').select('id').where('id', consumerId).forUpdate();
}

/**
 * Conditional sharing as 国发〔2016〕51号 sets it out: apply with a purpose, the owner decides with
 * reasons within 10 working days, a grant can be revoked; every step is an event, kept.
 * Each change is one transaction, so a decision and its grant and its event land together.
 */
export function createAccessStore(db: Knex) {
  return {
    /** Grants in force for a consumer: read on every request that touches a conditional field. */
    async activeGrants(consumerId: string, today: string): Promise<AccessGrant[]> {
      const rows: AccessGrant[] = await db('access_grants').select(GRANT).where('consumer_id', consumerId).whereNull('revoked_at');
      return rows.map(toGrant).filter((g) => isActive(g, today));
    },

    async apply(consumerId: string, resource: string, purpose: string, now: string): Promise<AccessApplication> {
      return db.transaction(async (trx) => {
        await lockConsumer(trx, consumerId);
        const pending = await trx('access_applications').where({ consumer_id: consumerId, resource, status: 'PENDING' }).first();
        if (pending) throw new AccessRuleError(`an application for ${resource} is already pending (id ${pending.id})`);
        const [id] = await trx('access_applications').insert({
          consumer_id: consumerId, resource, purpose, status: 'PENDING', submitted_at: now,
          deadline: addWorkingDays(dayInChina(now), DECISION_WORKING_DAYS),
        });
        await trx('access_events').insert({ application_id: id, at: now, actor: consumerId, action: 'SUBMITTED', reason: purpose });
        return trx('access_applications').select(APPLICATION).where('id', id).first();
      });
    },

    async decide(
      id: number,
      /**
       * `masked` null: as the consumer's latest grant of the resource (a renewal keeps its masking,
       * in force still or lapsed while the application waited), where `maskable`; else unmasked.
       */
      decision: { actor: string; approve: boolean; reason: string; masked: boolean | null; maskable?: boolean; validUntil: string | null; now: string },
    ): Promise<AccessApplication> {
      return db.transaction(async (trx) => {
        const application: AccessApplication | undefined = await trx('access_applications').select(APPLICATION).where('id', id).forUpdate().first();
        if (!application) throw new AccessRuleError(`there is no application ${id}`);
        if (application.status !== 'PENDING') throw new AccessRuleError(`application ${id} was already ${application.status.toLowerCase()}`);
        await lockConsumer(trx, application.consumerId);
        const status = decision.approve ? 'APPROVED' : 'REFUSED';
        await trx('access_applications').where('id', id).update({
          status, decided_at: decision.now, decided_by: decision.actor, reason: decision.reason,
        });
        let grantId: number | null = null;
        if (decision.approve) {
          // The consumer's grants of the resource, latest first. One already in force (a renewal, or
          // new terms: masked, a validity) is superseded by this one, so that one grant decides.
          const earlier = (await trx('access_grants').select(GRANT).where({ consumer_id: application.consumerId, resource: application.resource }).orderBy('id', 'desc'))
            .map(toGrant);
          const superseded = earlier.filter((g) => !g.revokedAt && isActive(g, dayInChina(decision.now)));
          // Left unsaid, masking carries over from the latest grant, whether it is still in force or
          // lapsed while the application waited: an operator renewing a masked grant, who said
          // nothing about masking, did not mean to unmask it. Unmasking is said: masked: false.
          // (Not onto a resource with nothing left to mask: it would read in full while saying masked.)
          const masked = decision.masked ?? (decision.maskable === true && (superseded.some((g) => g.masked) || Boolean(earlier[0]?.masked)));
          [grantId] = await trx('access_grants').insert({
            consumer_id: application.consumerId, resource: application.resource, application_id: id,
            masked, granted_at: decision.now, valid_until: decision.validUntil,
          });
          for (const old of superseded) {
            const reason = `superseded by grant ${grantId} (application ${id})`;
            await trx('access_grants').where('id', old.id).update({ revoked_at: decision.now, revoked_by: decision.actor, revoke_reason: reason });
            await trx('access_events').insert({ application_id: old.applicationId, grant_id: old.id, at: decision.now, actor: decision.actor, action: 'REVOKED', reason });
          }
        }
        await trx('access_events').insert({ application_id: id, grant_id: grantId, at: decision.now, actor: decision.actor, action: status, reason: decision.reason });
        return trx('access_applications').select(APPLICATION).where('id', id).first();
      });
    },

    async revoke(grantId: number, actor: string, reason: string, now: string): Promise<AccessGrant> {
      return db.transaction(async (trx) => {
        const grant: AccessGrant | undefined = await trx('access_grants').select(GRANT).where('id', grantId).forUpdate().first();
        if (!grant) throw new AccessRuleError(`there is no grant ${grantId}`);
        if (grant.revokedAt) throw new AccessRuleError(`grant ${grantId} was already revoked on ${grant.revokedAt}`);
        await trx('access_grants').where('id', grantId).update({ revoked_at: now, revoked_by: actor, revoke_reason: reason });
        await trx('access_events').insert({ application_id: grant.applicationId, grant_id: grantId, at: now, actor, action: 'REVOKED', reason });
        return toGrant(await trx('access_grants').select(GRANT).where('id', grantId).first());
      });
    },

    async grant(grantId: number): Promise<AccessGrant | null> {
      const row = await db('access_grants').select(GRANT).where('id', grantId).first();
      return row ? toGrant(row) : null;
    },

    async application(id: number): Promise<AccessApplication | null> {
      return (await db('access_applications').select(APPLICATION).where('id', id).first()) ?? null;
    },

    applications(filter: Visible & { status?: string }): Promise<AccessApplication[]> {
      const q = whereVisible(db('access_applications').select(APPLICATION).orderBy('id'), filter);
      if (filter.status) q.where('status', filter.status);
      return q;
    },

    async grants(filter: Visible): Promise<AccessGrant[]> {
      return (await whereVisible(db('access_grants').select(GRANT).orderBy('id'), filter)).map(toGrant);
    },

    eventsOf(applicationIds: readonly number[]): Promise<AccessEvent[]> {
      return db('access_events').select(EVENT).whereIn('application_id', applicationIds).orderBy('id');
    },
  };
}
export type AccessStore = ReturnType<typeof createAccessStore>;

/**
 * Which applications or grants a caller sees: those of `consumerId`, and those for `resources`
 * (a department operator's own, and those for its department's resources); everything when neither
 * is given.
 */
export interface Visible {
  consumerId?: string;
  resources?: string[];
}

function whereVisible(q: Knex.QueryBuilder, { consumerId, resources }: Visible): Knex.QueryBuilder {
  if (consumerId === undefined && resources === undefined) return q;
  return q.where((either) => {
    if (consumerId !== undefined) either.orWhere('consumer_id', consumerId);
    if (resources) either.orWhereIn('resource', resources);
  });
}
