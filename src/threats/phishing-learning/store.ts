/**
 * Where an organisation's learned phishing model lives (decision 0174): one encrypted document per
 * organisation (phishing_models), and one label per message (phishing_labels) with the message's
 * token keys, so a relabel unlearns the old label without reading the message again.
 *
 * - Tokens become keys through a keyed hash under a key derived from the organisation's
 *   blind-index key: the model and the labels hold no customer's words.
 * - Labels of one organisation are learned one at a time (the model row is locked FOR UPDATE).
 * - A stored model that cannot be read (corrupt, another version, its key gone) never breaks
 *   ingest or the action that labelled: the analyzer scores without it, labels are recorded as
 *   not learned, and the status says so and offers the reset.
 * - Labels from simulations are refused, whatever the caller.
 */
import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../platform/db/database.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import type { Logger } from '../../platform/logging.js';
import { AppError } from '../../platform/errors.js';
import { LearnedModel, type Label, type LearnedContext, type Status } from '../phishing/learning/index.js';
import type { LabelSource, StoredLabelSource } from './schema.js';
import './schema.js';

/** Bytes of the keyed hash kept per token: 96 bits, far beyond any organisation's vocabulary. */
const TOKEN_KEY_BYTES = 12;
const owner = (orgId: string) => ({ type: 'organization' as const, id: orgId });
const modelField = (orgId: string) => ({ table: 'phishing_models', column: 'model_enc', rowId: orgId });

/**
 * The organisation's token keyer: HMAC-SHA256 under a key derived once from its blind-index key
 * (Keyring.exactKeyedHash of a fixed label), cut to TOKEN_KEY_BYTES, base64url. Synchronous, as
 * the engine calls it per token.
 */
export async function tokenKeyer(keyring: Keyring, orgId: string, exec?: Executor): Promise<(token: string) => string> {
  const key = await keyring.exactKeyedHash(orgId, { table: 'phishing_labels', column: 'token_keys' }, 'trustdesk/phishing-learning/token-key/v1', exec);
  return (token) => createHmac('sha256', key).update(token, 'utf8').digest().subarray(0, TOKEN_KEY_BYTES).toString('base64url');
}

type Decoded = { model: LearnedModel; readable: true } | { model: null; readable: false; why: string };

async function decodeModel(keyring: Keyring, orgId: string, enc: Uint8Array | null, exec: Executor): Promise<Decoded> {
  if (!enc) return { model: new LearnedModel(), readable: true };
  try {
    const json = await keyring.decrypt(modelField(orgId), enc, exec);
    return { model: LearnedModel.fromJSON(JSON.parse(json)), readable: true };
  } catch (err) {
    // ModelFormatError (another version, a bad shape), bad JSON, or ciphertext that does not open.
    return { model: null, readable: false, why: err instanceof Error ? err.message : String(err) };
  }
}

export interface LabelInput {
  orgId: string;
  /** The messages.id labelled, or the quarantine.id for mail that never reached a ticket. */
  messageRef: string;
  label: Label;
  source: LabelSource;
  labellerId: string;
  /** The message's learning tokens (Analysis.tokens); ignored when the message already has a label (its keys are reused). */
  tokens: readonly string[];
  at?: Date;
}

export type LabelOutcome = 'learned' | 'capped' | 'unreadable' | 'unchanged';

/**
 * Records a label and teaches the model, in the caller's transaction, one label of an organisation
 * at a time. A message has one label: a new one replaces the old (which the model unlearns); the
 * same label from the same source again changes nothing. Over the labeller's daily cap, the label
 * is recorded as not learned (and an overturned one is still unlearned: the model must not keep
 * a label its people took back).
 */
export async function learnLabel(trx: Executor, keyring: Keyring, input: LabelInput): Promise<LabelOutcome> {
  const [outcome] = await learnLabels(trx, keyring, input.orgId, [input]);
  return outcome ?? 'unchanged';
}

/** Several labels of one organisation with one decrypt and one encrypt of its model (a reply answering several messages). */
export async function learnLabels(trx: Executor, keyring: Keyring, orgId: string, inputs: readonly LabelInput[]): Promise<LabelOutcome[]> {
  if (inputs.some((i) => i.source === 'simulation')) throw new AppError('validation_failed', 'Labels from simulations are never learned.');
  if (inputs.some((i) => i.orgId !== orgId)) throw new Error('learnLabels: labels of one organisation only');
  if (inputs.length === 0) return [];
  await trx.insertInto('phishing_models').values({ org_id: orgId, model_enc: null }).onConflict((oc) => oc.column('org_id').doNothing()).execute();
  const row = await trx.selectFrom('phishing_models').where('org_id', '=', orgId).select(['model_enc']).forUpdate().executeTakeFirstOrThrow();
  const decoded = await decodeModel(keyring, orgId, row.model_enc, trx);
  const key = await tokenKeyer(keyring, orgId, trx);
  const outcomes: LabelOutcome[] = [];
  let changed = false;
  for (const input of inputs) {
    const source = input.source as StoredLabelSource;
    const old = await trx.selectFrom('phishing_labels').where('org_id', '=', orgId).where('message_ref', '=', input.messageRef).select(['label', 'source', 'learned', 'token_keys']).executeTakeFirst();
    if (old && old.label === input.label && old.source === source) {
      outcomes.push('unchanged');
      continue;
    }
    const keys = old?.token_keys ?? [...new Set(input.tokens.map(key))];
    let outcome: LabelOutcome = 'unreadable';
    if (decoded.model) {
      if (old?.learned) decoded.model.unlearn(old.token_keys, old.label);
      outcome = decoded.model.learn(keys, input.label, input.labellerId, input.at ? { at: input.at } : {});
      changed = true;
    }
    const values = { label: input.label, source, labeller_id: input.labellerId, token_keys: keys, learned: outcome === 'learned', created_at: input.at ?? new Date() };
    await trx
      .insertInto('phishing_labels')
      .values({ org_id: orgId, message_ref: input.messageRef, ...values })
      .onConflict((oc) => oc.columns(['org_id', 'message_ref']).doUpdateSet(values))
      .execute();
    outcomes.push(outcome);
  }
  if (decoded.model && changed) {
    const enc = await keyring.encrypt(owner(orgId), modelField(orgId), JSON.stringify(decoded.model.toJSON()), trx);
    await trx.updateTable('phishing_models').set({ model_enc: enc, updated_at: new Date() }).where('org_id', '=', orgId).execute();
  }
  return outcomes;
}

/** Whether a message already carries a label (the reply labeller skips those). */
export async function labelledRefs(db: Executor, orgId: string, refs: readonly string[]): Promise<Set<string>> {
  if (refs.length === 0) return new Set();
  const rows = await db.selectFrom('phishing_labels').where('org_id', '=', orgId).where('message_ref', 'in', refs).select('message_ref').execute();
  return new Set(rows.map((r) => r.message_ref));
}

export type LearnedLoader = (orgId: string) => Promise<LearnedContext | null>;

/**
 * The analyzer's view of each organisation's model: one indexed read of updated_at per message,
 * and the model decrypted and parsed again only when it changed (a label, a reset — in this
 * process or another). An unreadable model is logged once per version and left out.
 */
export function createLearnedLoader(options: { db: Db; keyring: Keyring; logger?: Logger | undefined; maxOrgs?: number }): LearnedLoader {
  const cache = new LRUCache<string, { at: number; learned: LearnedContext | null }>({ max: options.maxOrgs ?? 200 });
  return async (orgId) => {
    const head = await options.db.selectFrom('phishing_models').where('org_id', '=', orgId).select('updated_at').executeTakeFirst();
    if (!head) return null;
    const at = new Date(head.updated_at).getTime();
    const hit = cache.get(orgId);
    if (hit && hit.at === at) return hit.learned;
    const row = await options.db.selectFrom('phishing_models').where('org_id', '=', orgId).select(['model_enc', 'updated_at']).executeTakeFirst();
    let learned: LearnedContext | null = null;
    if (row?.model_enc) {
      const decoded = await decodeModel(options.keyring, orgId, row.model_enc, options.db);
      if (decoded.model) learned = { model: decoded.model, key: await tokenKeyer(options.keyring, orgId) };
      else options.logger?.warn({ orgId, why: decoded.why }, 'phishing model unreadable; scoring without it until an administrator resets it');
    }
    cache.set(orgId, { at: row ? new Date(row.updated_at).getTime() : at, learned });
    return learned;
  };
}

export interface LearningStatus extends Status {
  /** False when the stored model cannot be read: ingest scores without it until it is reset. */
  readable: boolean;
  /** Labels recorded but not learned (a labeller over the daily cap, or an unreadable model): today and in all. */
  refused: { today: number; total: number };
  updatedAt: string | null;
  resetAt: string | null;
}

export async function learningStatus(db: Executor, keyring: Keyring, orgId: string, now = new Date()): Promise<LearningStatus> {
  const row = await db.selectFrom('phishing_models').where('org_id', '=', orgId).selectAll().executeTakeFirst();
  const decoded = await decodeModel(keyring, orgId, row?.model_enc ?? null, db);
  const empty = new LearnedModel().status();
  const dayStart = new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000);
  const refused = await db
    .selectFrom('phishing_labels')
    .where('org_id', '=', orgId)
    .where('learned', '=', false)
    .select((eb) => [eb.fn.countAll<string>().as('total'), eb.fn.count<string>(eb.case().when('created_at', '>=', dayStart).then(1).end()).as('today')])
    .executeTakeFirstOrThrow();
  return {
    ...(decoded.model ? decoded.model.status() : empty),
    readable: decoded.readable,
    refused: { today: Number(refused.today), total: Number(refused.total) },
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
    resetAt: row?.reset_at ? new Date(row.reset_at).toISOString() : null,
  };
}

/**
 * Forgets everything the organisation's model learned: the model and every label. The caller
 * audits it in the same transaction. Returns how many labels were dropped.
 */
export async function resetLearning(trx: Executor, input: { orgId: string; userId: string; at?: Date }): Promise<number> {
  const at = input.at ?? new Date();
  await trx.insertInto('phishing_models').values({ org_id: input.orgId, model_enc: null }).onConflict((oc) => oc.column('org_id').doNothing()).execute();
  await trx.selectFrom('phishing_models').where('org_id', '=', input.orgId).select('org_id').forUpdate().executeTakeFirstOrThrow();
  const dropped = await trx.deleteFrom('phishing_labels').where('org_id', '=', input.orgId).executeTakeFirst();
  await trx.updateTable('phishing_models').set({ model_enc: null, updated_at: at, reset_at: at, reset_by: input.userId }).where('org_id', '=', input.orgId).execute();
  return Number(dropped.numDeletedRows);
}

/**
 * Erasure (decision 0174): the token keys of an erased customer's messages are keyed hashes of
 * their words, which the organisation's key could still test guesses against; the label rows go.
 * Their counts stay in the model as anonymous totals (it cannot say which message gave which).
 */
export async function deleteLabelsForCustomers(trx: Executor, input: { orgId: string; customerIds: readonly string[] }): Promise<number> {
  if (input.customerIds.length === 0) return 0;
  const res = await trx
    .deleteFrom('phishing_labels')
    .where('org_id', '=', input.orgId)
    .where('message_ref', 'in', (eb) => eb.selectFrom('messages').where('org_id', '=', input.orgId).where('customer_id', 'in', input.customerIds).select('id'))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
