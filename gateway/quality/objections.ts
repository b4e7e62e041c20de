import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';

/**
 * Data objections (数据异议), as the provincial rules set the process out: a consumer raises one
 * on a data item → the owning department accepts or rejects it with a reason → while it is open
 * the item is flagged in every answer (cases using the data go on) → the owner corrects the value
 * in its own store and closes the objection, which removes the flag → it stays on file.
 */
export type ObjectionStatus = 'RAISED' | 'ACCEPTED' | 'REJECTED' | 'CLOSED';
export type ObjectionAction = 'RAISED' | 'ACCEPTED' | 'REJECTED' | 'CLOSED';

/** Open objections flag their item; rejected and closed ones are history. */
export const OPEN_STATUSES: readonly ObjectionStatus[] = ['RAISED', 'ACCEPTED'];

export interface Objection {
  id: number;
  entityType: string;
  entityKey: string;
  field: string;
  /** The department that owns the item and decides. */
  owner: string;
  believedValue: string;
  evidence: string;
  raisedBy: string;
  status: ObjectionStatus;
  raisedAt: string;
  updatedAt: string;
}

export interface ObjectionEvent {
  objectionId: number;
  at: string;
  actor: string;
  action: ObjectionAction;
  note: string | null;
}

/** A step the workflow does not allow (closing a rejected objection, deciding twice). */
export class ObjectionRuleError extends Error {}

const COLUMNS = {
  id: 'id', entityType: 'entity_type', entityKey: 'entity_key', field: 'field', owner: 'owner', believedValue: 'believed_value',
  evidence: 'evidence', raisedBy: 'raised_by', status: 'status', raisedAt: 'raised_at', updatedAt: 'updated_at',
};
const EVENT_COLUMNS = { objectionId: 'objection_id', at: 'at', actor: 'actor', action: 'action', note: 'note' };

/**
 * Which step may follow which: RAISED → ACCEPTED | REJECTED, ACCEPTED → CLOSED | REJECTED (the
 * owner accepted to verify, and found its record right: there is nothing to correct).
 */
const AFTER: Record<'ACCEPTED' | 'REJECTED' | 'CLOSED', readonly ObjectionStatus[]> = { ACCEPTED: ['RAISED'], REJECTED: ['RAISED', 'ACCEPTED'], CLOSED: ['ACCEPTED'] };

export function createObjectionStore(db: Knex) {
  const select = (q: Knex) => q('objections').select(COLUMNS);
  return {
    async raise(o: Omit<Objection, 'id' | 'status' | 'raisedAt' | 'updatedAt'>, now: string): Promise<Objection> {
      return db.transaction(async (trx) => {
        const [id] = await trx('objections').insert({
          entity_type: o.entityType, entity_key: o.entityKey, field: o.field, owner: o.owner, believed_value: o.believedValue,
          evidence: o.evidence, raised_by: o.raisedBy, status: 'RAISED', raised_at: now, updated_at: now,
        });
        await trx('objection_events').insert({ objection_id: id, at: now, actor: o.raisedBy, action: 'RAISED', note: o.evidence });
        return (await select(trx).where('id', id).first()) as Objection;
      });
    },

    /** One step of the workflow, with its reason, in one transaction with its event. */
    async step(id: number, action: keyof typeof AFTER, actor: string, note: string, now: string): Promise<Objection> {
      return db.transaction(async (trx) => {
        const current = (await select(trx).where('id', id).forUpdate().first()) as Objection | undefined;
        if (!current) throw new ObjectionRuleError(`there is no objection ${id}`);
        if (!AFTER[action].includes(current.status)) {
          throw new ObjectionRuleError(`objection ${id} is ${current.status}: it can be ${action.toLowerCase()} only when ${AFTER[action].join(' or ')}`);
        }
        await trx('objections').where('id', id).update({ status: action, updated_at: now });
        await trx('objection_events').insert({ objection_id: id, at: now, actor, action, note });
        return { ...current, status: action, updatedAt: now };
      });
    },

    async byId(id: number): Promise<Objection | null> {
      return ((await select(db).where('id', id).first()) as Objection | undefined) ?? null;
    },

    async list(filter: { owner?: string; raisedBy?: string; status?: ObjectionStatus; entityType?: string; entityKey?: string }): Promise<Objection[]> {
      const q = select(db).orderBy('id', 'desc').limit(500);
      if (filter.owner) q.where('owner', filter.owner);
      if (filter.raisedBy) q.where('raised_by', filter.raisedBy);
      if (filter.status) q.where('status', filter.status);
      if (filter.entityType) q.where('entity_type', filter.entityType);
      if (filter.entityKey) q.where('entity_key', filter.entityKey);
      return q;
    },

    async open(): Promise<Objection[]> {
      return select(db).whereIn('status', OPEN_STATUSES as ObjectionStatus[]);
    },

    async eventsOf(ids: readonly number[]): Promise<ObjectionEvent[]> {
      return db('objection_events').select(EVENT_COLUMNS).whereIn('objection_id', ids).orderBy('id');
    },
  };
}
export type ObjectionStore = ReturnType<typeof createObjectionStore>;

/**
 * The open objections, held in memory so flagging an answer costs no query on the request path.
 * A change made through this gateway refreshes it at once; changes made through other replicas
 * arrive with the next poll (every few seconds).
 */
export class OpenObjections {
  private byItem = new Map<string, Objection[]>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly store: ObjectionStore, private readonly logger: Logger, private readonly pollMs = 5_000) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch((err) => this.logger.warn({ err }, 'could not refresh open objections')), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const next = new Map<string, Objection[]>();
    for (const o of await this.store.open()) {
      const key = `${o.entityType}:${o.entityKey}`;
      next.set(key, [...(next.get(key) ?? []), o]);
    }
    this.byItem = next;
  }

  of(entityType: string, entityKey: string): readonly Objection[] {
    return this.byItem.get(`${entityType}:${entityKey}`) ?? [];
  }

  get size(): number {
    return this.byItem.size;
  }
}
