/**
 * The labels people give by doing their work (decision 0174): "Report phishing", an officer's
 * verdict on a report, a quarantine release or deletion, and an agent's public reply to a
 * customer's message. Each is recorded after the action has committed and never fails it: a
 * labelling error is logged and the action stands.
 *
 * A message's tokens come from its stored source, analysed as ingest analyses it (the
 * organisation's domains, name, staff, lists and known senders), so the reasons it carries
 * as tokens are the ones ingest sees.
 */
import type { Db } from '../../platform/db/database.js';
import type { Keyring } from '../../protection/crypto/keyring.js';
import type { Logger } from '../../platform/logging.js';
import { analyzeMessage, parseRawMessage } from '../phishing/index.js';
import type { Label } from '../phishing/learning/index.js';
import { createOrgContextLoader } from '../phishing-reports/org-context.js';
import { labelledRefs, learnLabels, type LabelInput, type LabelOutcome } from './store.js';
import type { LabelSource } from './schema.js';
import '../phishing-reports/schema.js';

export interface LabelDeps {
  db: Db;
  keyring: Keyring;
  logger: Logger;
}

/** Customer messages one reply labels at most (the ones since the previous reply). */
const MAX_ANSWERED = 5;

/** The learning tokens of a raw message, with the organisation's context as ingest builds it. */
export async function messageTokens(deps: Pick<LabelDeps, 'db' | 'keyring'>, orgId: string, raw: Buffer): Promise<string[]> {
  const parsed = await parseRawMessage(raw);
  const [org, mailboxes] = await Promise.all([
    deps.db.selectFrom('organizations').where('id', '=', orgId).select('name').executeTakeFirst(),
    deps.db.selectFrom('mailboxes').where('org_id', '=', orgId).select('address').execute(),
  ]);
  const context = await createOrgContextLoader({ db: deps.db, keyring: deps.keyring })({
    orgId,
    senderAddress: parsed.from?.address ?? '',
    replyToAddresses: parsed.replyTo.map((r) => r.address),
  });
  const analysis = analyzeMessage(
    parsed,
    {
      orgDomains: [...new Set(mailboxes.map((m) => m.address.split('@')[1] ?? '').filter(Boolean))],
      staff: context.staff,
      brandNames: org?.name ? [org.name] : [],
      knownCustomerDomains: [],
      partnerDomains: [],
      allowList: context.allowList,
      blockList: context.blockList,
      knownSenderDomains: context.knownSenderDomains,
    },
    { collectTokens: true },
  );
  return analysis.tokens ?? [];
}

export interface RecordLabelInput {
  orgId: string;
  messageRef: string;
  label: Label;
  source: LabelSource;
  labellerId: string;
  /** The message's source; read only when the message has no label yet (a relabel reuses the stored keys). */
  raw: Buffer | (() => Promise<Buffer | null>) | null;
}

/**
 * Records one label, best effort: returns the outcome, or null when it could not be recorded
 * (logged). The caller's action has already committed and stands either way.
 */
export async function recordLabel(deps: LabelDeps, input: RecordLabelInput): Promise<LabelOutcome | null> {
  const [outcome] = await recordLabels(deps, input.orgId, [input]);
  return outcome ?? null;
}

/** Labels of one organisation in one transaction (one decrypt and encrypt of the model), best effort. */
export async function recordLabels(deps: LabelDeps, orgId: string, inputs: readonly RecordLabelInput[]): Promise<Array<LabelOutcome | null>> {
  try {
    const known = await labelledRefs(deps.db, orgId, inputs.map((i) => i.messageRef));
    const ready: LabelInput[] = [];
    const slot: number[] = [];
    for (const [n, input] of inputs.entries()) {
      let tokens: string[] = [];
      if (!known.has(input.messageRef)) {
        const raw = typeof input.raw === 'function' ? await input.raw() : input.raw;
        // Nothing to learn from a message without a source (typed by an agent, or already overwritten).
        if (!raw || raw.length === 0) continue;
        tokens = await messageTokens(deps, orgId, raw);
      }
      ready.push({ orgId, messageRef: input.messageRef, label: input.label, source: input.source, labellerId: input.labellerId, tokens });
      slot.push(n);
    }
    const outcomes: Array<LabelOutcome | null> = inputs.map(() => null);
    if (ready.length === 0) return outcomes;
    const learned = await deps.db.transaction().execute((trx) => learnLabels(trx, deps.keyring, orgId, ready));
    for (const [i, outcome] of learned.entries()) {
      outcomes[slot[i]!] = outcome;
      if (outcome === 'capped' || outcome === 'unreadable') deps.logger.info({ orgId, source: ready[i]!.source, outcome }, 'phishing label recorded but not learned');
    }
    return outcomes;
  } catch (err) {
    deps.logger.warn({ err, orgId }, 'phishing labels not recorded');
    return inputs.map(() => null);
  }
}

/** A stored message's raw source, or null (no source: portal, phone, or typed by staff). */
export function storedMessageSource(deps: Pick<LabelDeps, 'db' | 'keyring'>, messageId: string): () => Promise<Buffer | null> {
  return async () => {
    const row = await deps.db.selectFrom('messages').where('id', '=', messageId).select(['id', 'raw_enc']).executeTakeFirst();
    if (!row?.raw_enc) return null;
    return Buffer.from(await deps.keyring.decrypt({ table: 'messages', column: 'raw_enc', rowId: row.id }, row.raw_enc, deps.db), 'base64');
  };
}

/**
 * An agent's public reply says the customer messages it answers were legitimate: those received
 * by email since the previous public reply, not reported, and not labelled already. Best effort.
 */
export async function labelAnsweredMessages(deps: LabelDeps, input: { orgId: string; ticketId: string; replyId: string; agentId: string }): Promise<number> {
  try {
    const previous = await deps.db
      .selectFrom('messages')
      .where('ticket_id', '=', input.ticketId)
      .where('org_id', '=', input.orgId)
      .where('kind', '=', 'public_reply')
      .where('id', '!=', input.replyId)
      .select('created_at')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    let q = deps.db
      .selectFrom('messages')
      .where('ticket_id', '=', input.ticketId)
      .where('org_id', '=', input.orgId)
      .where('author_type', '=', 'customer')
      .where('raw_enc', 'is not', null)
      .where('reported_at', 'is', null);
    if (previous) q = q.where('created_at', '>', previous.created_at);
    const answered = await q.select('id').orderBy('created_at', 'desc').limit(MAX_ANSWERED).execute();
    const done = await labelledRefs(deps.db, input.orgId, answered.map((m) => m.id));
    const fresh = answered.filter((m) => !done.has(m.id)).map((m) => ({ orgId: input.orgId, messageRef: m.id, label: 'ham' as const, source: 'reply' as const, labellerId: input.agentId, raw: storedMessageSource(deps, m.id) }));
    if (fresh.length === 0) return 0;
    return (await recordLabels(deps, input.orgId, fresh)).filter(Boolean).length;
  } catch (err) {
    deps.logger.warn({ err, orgId: input.orgId }, 'answered messages not labelled');
    return 0;
  }
}
