/**
 * Imports an export (zendesk.ts, freescout.ts) into one organisation through
 * the same protection as live mail (decision 0161):
 *   every text → the organisation's sensitive-data policy (a card number is cut
 *   to first 6 / last 4 before anything is stored) → encrypted under the
 *   requester's key (records.ts) → keyed search tokens; customers matched by the
 *   email blind index or created; files read for what they hold
 *   (src/protection/file-scan), sealed, a document holding a card withheld;
 *   one audit entry per ticket, in its transaction, and one for the run.
 * Each ticket (messages and files included) is one transaction that also claims
 * its row in import_items: a second run skips it, an interrupted run resumes,
 * two runs at once import it once. A dry run does all of it and rolls every
 * transaction back, writing no file.
 */
import { randomUUID } from 'node:crypto';
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Transaction } from 'kysely';
import { isDatabaseUnavailable } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import { WriteTrackingBlobStore } from '../../protection/blobs/store.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import type { DlpPolicy } from '../../protection/dlp/index.js';
import type { FileScan } from '../../protection/file-scan/scan-file.js';
import { textFromHtml } from '../../threats/phishing/html-text.js';
import type { ParsedAttachment } from '../../threats/phishing/index.js';
import { scanAttachmentFiles, storeAttachments } from '../ingest/attachments.js';
import { scanSensitiveData } from '../ingest/scan.js';
import { findOrCreateSender } from '../ingest/sender.js';
import { applySlaToTicket } from '../sla/sla.service.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { insertMessage, insertTicket } from '../tickets/records.js';
import type { MessageKind, StoredRedaction } from '../tickets/schema.js';
import { ExportFileError } from './json-stream.js';
import type { ExportSource, SourceAttachment, SourceComment, SourcePerson, SourceTicket } from './model.js';
import './schema.js';
import { isLimitReached } from '../../identity/organizations/limits.js';

const ACTOR = { type: 'system' as const, id: 'import' };
const SOURCE_NAME = { zendesk: 'Zendesk', freescout: 'FreeScout' } as const;
/** Text kept of one comment (HTML is turned to text within the same bound). */
const MAX_BODY_CHARS = 1_000_000;
const MAX_PROBLEMS = 200;

export interface ImportProgress {
  records: number;
  imported: number;
  skipped: number;
  failed: number;
  bytesRead: number;
  totalBytes: number;
}

export interface ImportReport {
  source: ExportSource['source'];
  dryRun: boolean;
  /** Tickets imported (or, in a dry run, that would be). */
  imported: number;
  /** Already imported by an earlier run. */
  alreadyImported: number;
  /** Left out on purpose (deleted, spam, drafts). */
  leftOut: number;
  /** Records that could not be imported (problems says why). */
  failed: number;
  messages: { public: number; internal: number };
  customers: { new: number; matched: number };
  attachments: { stored: number; withheld: number; tooLarge: number; dangerous: number; missing: number };
  /** Sensitive values redacted on the way in (texts and file names). */
  redactions: number;
  problems: string[];
  /** Problems beyond the MAX_PROBLEMS listed. */
  moreProblems: number;
  /** Set when the file could not be read to its end: what was complete before it is in the counts. */
  stoppedEarly: string | null;
  /**
   * Set when an organisation limit (storage) was reached: the run stopped at that ticket, which was rolled back
   * whole; what is counted is stored, and a re-run once the limit is raised resumes after it (decision 0235).
   */
  limitReached: string | null;
}

export interface ImportOptions {
  orgId: string;
  source: ExportSource;
  dryRun: boolean;
  blobs: BlobStore;
  maxAttachmentBytes: number;
  onProgress?: (p: ImportProgress) => void;
}

class DryRunRollback extends Error {}

interface Context {
  deps: HelpdeskDeps;
  opts: ImportOptions;
  policy: DlpPolicy;
  staff: Map<string, string>;
  mailboxes: Map<string, { id: string; teamId: string | null }>;
  report: ImportReport;
  /** People counted once per run (new or matched). */
  counted: Set<string>;
}

export function emptyReport(source: ExportSource['source'], dryRun: boolean): ImportReport {
  return {
    source,
    dryRun,
    imported: 0,
    alreadyImported: 0,
    leftOut: 0,
    failed: 0,
    messages: { public: 0, internal: 0 },
    customers: { new: 0, matched: 0 },
    attachments: { stored: 0, withheld: 0, tooLarge: 0, dangerous: 0, missing: 0 },
    redactions: 0,
    problems: [],
    moreProblems: 0,
    stoppedEarly: null,
    limitReached: null,
  };
}

export function addProblem(report: ImportReport, message: string): void {
  if (report.problems.length < MAX_PROBLEMS) report.problems.push(message);
  else report.moreProblems++;
}

/** Runs the import; a database that goes away stops it with the error (everything committed stays, a re-run resumes). */
export async function runImport(deps: HelpdeskDeps, opts: ImportOptions, report: ImportReport = emptyReport(opts.source.source, opts.dryRun)): Promise<ImportReport> {
  const { policy } = await loadOrgDlp(deps.db, opts.orgId);
  const users = await deps.db.selectFrom('users').where('org_id', '=', opts.orgId).where('status', '=', 'active').select(['id', 'email']).execute();
  const boxes = await deps.db.selectFrom('mailboxes').where('org_id', '=', opts.orgId).select(['id', 'address', 'team_id']).execute();
  const ctx: Context = {
    deps,
    opts,
    policy,
    staff: new Map(users.map((u) => [u.email.toLowerCase(), u.id])),
    mailboxes: new Map(boxes.map((b) => [b.address.toLowerCase(), { id: b.id, teamId: b.team_id }])),
    report,
    counted: new Set(),
  };
  let records = 0;
  const progress = () =>
    opts.onProgress?.({ records, imported: report.imported, skipped: report.alreadyImported + report.leftOut, failed: report.failed, bytesRead: opts.source.bytesRead, totalBytes: opts.source.totalBytes });
  try {
    for await (const item of opts.source.tickets()) {
      records++;
      if (!item.ok) {
        report.failed++;
        addProblem(report, `Record ${item.index + 1}${item.error.startsWith('is ') ? ' ' : ': '}${item.error}; not imported.`);
      } else if ('skip' in item) {
        report.leftOut++;
      } else {
        await importOne(ctx, item.ticket, item.index);
      }
      progress();
    }
  } catch (err) {
    // An organisation limit: every ticket after this one would be refused the same way, so the run stops here.
    if (isLimitReached(err)) report.limitReached = err.message;
    else if (err instanceof ExportFileError) report.stoppedEarly = err.message;
    else throw err;
  }
  progress();
  if (!opts.dryRun) {
    await deps.audit.record({
      orgId: opts.orgId,
      actor: ACTOR,
      action: 'import.run',
      result: report.stoppedEarly || report.limitReached || report.failed ? 'failure' : 'success',
      details: { source: report.source, imported: report.imported, alreadyImported: report.alreadyImported, leftOut: report.leftOut, failed: report.failed, redactions: report.redactions, stoppedEarly: report.stoppedEarly !== null, limitReached: report.limitReached !== null },
    });
  }
  return report;
}

interface PreparedMessage {
  comment: SourceComment;
  kind: MessageKind;
  authorType: 'customer' | 'user';
  authorUserId: string | null;
  body: string;
  redactions: StoredRedaction[];
  files: ParsedAttachment[];
  scans: FileScan[];
}

async function importOne(ctx: Context, t: SourceTicket, index: number): Promise<void> {
  const { deps, opts, report } = ctx;
  const label = `${SOURCE_NAME[opts.source.source]} ticket ${t.externalId}`;
  if (!t.requester) {
    report.failed++;
    addProblem(report, `${label} (record ${index + 1}) has no requester; not imported.`);
    return;
  }
  // Everything slow or fallible about the contents happens before the transaction.
  const subject = scanSensitiveData({ subject: t.subject || '(no subject)' }, ctx.policy);
  const prepared: PreparedMessage[] = [];
  const missing: string[] = [];
  for (const c of t.comments) {
    const staff = c.author?.staff ?? false;
    const userId = staff && c.author?.email ? (ctx.staff.get(c.author.email.toLowerCase()) ?? null) : null;
    let text = c.text ?? textFromHtml(c.html ?? '', MAX_BODY_CHARS);
    if (text.length > MAX_BODY_CHARS) text = text.slice(0, MAX_BODY_CHARS);
    // A staff author with no account here keeps their name on the message.
    if (staff && !userId && c.author?.name) text = `${c.author.name} (${SOURCE_NAME[opts.source.source]}):\n\n${text}`;
    const scan = scanSensitiveData({ body: text }, ctx.policy);
    const files: ParsedAttachment[] = [];
    for (const a of c.attachments) {
      const read = await readAttachment(opts.source.dir, a, opts.maxAttachmentBytes);
      if ('problem' in read) missing.push(`comment ${c.externalId}: attachment ${a.externalId} ${read.problem}`);
      else files.push(read.file);
    }
    prepared.push({
      comment: c,
      kind: c.public ? 'public_reply' : 'internal_note',
      authorType: staff ? 'user' : 'customer',
      authorUserId: userId,
      body: scan.body,
      redactions: scan.redactions,
      files,
      scans: await scanAttachmentFiles(files, ctx.policy, opts.maxAttachmentBytes),
    });
  }
  const blobs = new WriteTrackingBlobStore(opts.dryRun ? new DiscardingBlobStore() : opts.blobs);
  const tally = { public: 0, internal: 0, stored: 0, withheld: 0, tooLarge: 0, dangerous: 0, redactions: 0, customer: null as null | 'new' | 'matched' };
  try {
    const outcome = await deps.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .insertInto('import_items')
        .values({ org_id: opts.orgId, source: opts.source.source, kind: 'ticket', external_id: t.externalId, local_id: randomUUID() })
        .onConflict((oc) => oc.doNothing())
        .returning('local_id')
        .executeTakeFirst();
      if (!claimed) return 'already' as const;
      const requester = await resolveCustomer(ctx, trx, t.requester as SourcePerson);
      tally.customer = requester.created ? 'new' : 'matched';
      const mailbox = t.mailboxAddress ? ctx.mailboxes.get(t.mailboxAddress.toLowerCase()) : undefined;
      const assigneeId = t.assignee?.email ? (ctx.staff.get(t.assignee.email.toLowerCase()) ?? null) : null;
      const ticket = await insertTicket(trx, deps, {
        orgId: opts.orgId,
        subject: subject.subject,
        channel: t.channel,
        requesterId: requester.id,
        teamId: mailbox?.teamId ?? null,
        assigneeId,
        mailboxId: mailbox?.id ?? null,
        tags: [`${opts.source.source}:${t.number}`, ...t.tags],
        priority: t.priority,
        imported: true,
      });
      await trx.updateTable('import_items').set({ local_id: ticket.id }).where('org_id', '=', opts.orgId).where('source', '=', opts.source.source).where('kind', '=', 'ticket').where('external_id', '=', t.externalId).execute();
      let firstResponse: Date | null = null;
      let last: Date | null = t.createdAt;
      for (const m of prepared) {
        const id = randomUUID();
        const attachmentRedactions: StoredRedaction[] = [];
        await insertMessage(trx, deps, { id, orgId: opts.orgId, ticketId: ticket.id, kind: m.kind, authorType: m.authorType, authorUserId: m.authorUserId, customerId: requester.id, body: m.body, redactions: m.redactions, imported: true });
        const at = m.comment.createdAt ?? t.createdAt;
        if (at) await trx.updateTable('messages').set({ created_at: at }).where('id', '=', id).execute();
        if (at && (!last || at > last)) last = at;
        if (m.authorType === 'user' && m.kind === 'public_reply' && !firstResponse) firstResponse = at;
        if (m.files.length) {
          const stored = await storeAttachments(trx, deps, { blobs, orgId: opts.orgId, messageId: id, customerId: requester.id, attachments: m.files, maxBytes: opts.maxAttachmentBytes, scan: (texts) => scanSensitiveData(texts, ctx.policy), redactions: attachmentRedactions, files: m.scans });
          const tooLarge = m.files.filter((f) => f.content === undefined || f.size > opts.maxAttachmentBytes).length;
          tally.stored += stored.count - stored.withheld - tooLarge;
          tally.withheld += stored.withheld;
          tally.dangerous += stored.dangerous;
          tally.tooLarge += tooLarge;
          if (attachmentRedactions.length) await trx.updateTable('messages').set({ redactions: JSON.stringify([...m.redactions, ...attachmentRedactions]) }).where('id', '=', id).execute();
        }
        tally.redactions += [...m.redactions, ...attachmentRedactions].filter((r) => r.action === 'redact').length;
        if (m.kind === 'internal_note') tally.internal++;
        else tally.public++;
      }
      tally.redactions += subject.redactions.filter((r) => r.action === 'redact').length;
      const createdAt = t.createdAt ?? new Date();
      const updatedAt = t.updatedAt ?? last ?? createdAt;
      const done = t.status === 'solved' || t.status === 'closed';
      await trx
        .updateTable('tickets')
        .set({
          status: t.status,
          created_at: createdAt,
          updated_at: updatedAt,
          last_message_at: last ?? createdAt,
          first_response_at: firstResponse,
          solved_at: done ? updatedAt : null,
          closed_at: t.status === 'closed' ? updatedAt : null,
        })
        .where('id', '=', ticket.id)
        .execute();
      // Due times run from when the customer asked, not from the import.
      await applySlaToTicket(trx, { orgId: opts.orgId, ticketId: ticket.id, priority: t.priority, openedAt: createdAt });
      await deps.audit.append(trx, {
        orgId: opts.orgId,
        actor: ACTOR,
        action: 'ticket.import',
        object: { type: 'ticket', id: ticket.id },
        subjectCustomerId: requester.id,
        result: 'success',
        details: { source: opts.source.source, externalId: t.externalId, messages: tally.public + tally.internal, internalNotes: tally.internal, attachments: tally.stored + tally.withheld + tally.tooLarge, withheld: tally.withheld, redactions: tally.redactions, missingAttachments: missing.length },
      });
      if (opts.dryRun) throw new DryRunRollback();
      return 'imported' as const;
    });
    if (outcome === 'already') {
      report.alreadyImported++;
      return;
    }
  } catch (err) {
    if (!(err instanceof DryRunRollback)) {
      await blobs.discardUnreferenced(async (keys) => new Set((await deps.db.selectFrom('attachments').where('blob_key', 'in', keys).select('blob_key').execute()).map((r) => r.blob_key as string)));
      if (isDatabaseUnavailable(err) || isLimitReached(err)) throw err;
      report.failed++;
      // The error's code only: a database message can quote the values it refused (invariant 7).
      deps.logger.warn({ error: describeError(err), source: opts.source.source, externalId: t.externalId }, 'import: ticket not imported');
      addProblem(report, `${label} (record ${index + 1}) could not be stored (${describeError(err)}); not imported. Nothing of it was kept; a re-run tries it again.`);
      return;
    }
  }
  report.imported++;
  report.messages.public += tally.public;
  report.messages.internal += tally.internal;
  report.attachments.stored += tally.stored;
  report.attachments.withheld += tally.withheld;
  report.attachments.tooLarge += tally.tooLarge;
  report.attachments.dangerous += tally.dangerous;
  report.attachments.missing += missing.length;
  report.redactions += tally.redactions;
  const person = (t.requester as SourcePerson).externalId;
  if (!ctx.counted.has(person)) {
    ctx.counted.add(person);
    if (tally.customer === 'new') report.customers.new++;
    else report.customers.matched++;
  }
  for (const m of missing) addProblem(report, `${label}, ${m}; the ticket was imported without it.`);
}

/** A few words on why a ticket could not be stored: the database's code, never the values. */
function describeError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return `database error ${code}`;
  return (err as Error).name || 'error';
}

/**
 * The requester as a customer of the organisation: the one an earlier run
 * created or matched, else the one with that email address (blind index), else
 * a new one. A customer without an address is created by name.
 */
async function resolveCustomer(ctx: Context, trx: Transaction<Database>, p: SourcePerson): Promise<{ id: string; created: boolean }> {
  const { deps, opts } = ctx;
  const known = await trx
    .selectFrom('import_items as i')
    .innerJoin('customers as c', 'c.id', 'i.local_id')
    .where('i.org_id', '=', opts.orgId)
    .where('i.source', '=', opts.source.source)
    .where('i.kind', '=', 'customer')
    .where('i.external_id', '=', p.externalId)
    .select(['c.id', 'c.merged_into'])
    .executeTakeFirst();
  if (known) return { id: known.merged_into ?? known.id, created: false };
  let found: { id: string; created: boolean };
  const name = p.name || p.email || 'Customer';
  if (p.email) {
    found = await findOrCreateSender(trx, deps, { orgId: opts.orgId, address: p.email, name, actor: ACTOR, source: opts.source.source });
  } else {
    const id = randomUUID();
    await trx
      .insertInto('customers')
      .values({ id, org_id: opts.orgId, name_enc: await deps.keyring.encrypt({ type: 'customer', id }, { table: 'customers', column: 'name_enc', rowId: id }, name, trx), email_enc: null, email_bidx: null })
      .execute();
    await deps.audit.append(trx, { orgId: opts.orgId, actor: ACTOR, action: 'customer.create', object: { type: 'customer', id }, subjectCustomerId: id, result: 'success', details: { source: opts.source.source } });
    found = { id, created: true };
  }
  if (found.created && p.organization) {
    const custom = JSON.stringify({ organization: p.organization });
    await trx
      .updateTable('customers')
      .set({ custom_fields_enc: await deps.keyring.encrypt({ type: 'customer', id: found.id }, { table: 'customers', column: 'custom_fields_enc', rowId: found.id }, custom, trx) })
      .where('id', '=', found.id)
      .execute();
  }
  await trx.insertInto('import_items').values({ org_id: opts.orgId, source: opts.source.source, kind: 'customer', external_id: p.externalId, local_id: found.id }).onConflict((oc) => oc.doNothing()).execute();
  return found;
}

/**
 * An attachment's bytes: base64 in the export, or the file
 * attachments/<attachment id>/<file name> inside the export folder. The name
 * must be a plain file name and the file a regular file inside the folder (no
 * path separators, no `..`, no symbolic link out of it). Messages name the
 * attachment by id only: a file name can hold customer data.
 */
export async function readAttachment(dir: string, a: SourceAttachment, maxBytes: number): Promise<{ file: ParsedAttachment } | { problem: string }> {
  const name = a.fileName;
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name) || name.length > 255) return { problem: 'has a file name that is not a plain file name; not read' };
  if (a.base64 !== null) {
    const clean = a.base64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return { problem: 'carries data that is not base64; not read' };
    const size = Math.floor((clean.length * 3) / 4) - (clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0);
    if (size > maxBytes) return { file: { filename: name, contentType: a.contentType, size } };
    const content = Buffer.from(clean, 'base64');
    return { file: { filename: name, contentType: a.contentType, size: content.length, content } };
  }
  const root = path.resolve(dir, 'attachments');
  const file = path.resolve(root, a.externalId, name);
  if (!file.startsWith(root + path.sep)) return { problem: 'points outside the attachments folder; not read' };
  let st;
  try {
    st = await lstat(file);
  } catch {
    return { problem: `not found (expected attachments/${a.externalId}/<file name>)` };
  }
  if (!st.isFile()) return { problem: 'is not a regular file (a link or a folder); not read' };
  // A folder on the way that is a link out of the export is refused too.
  if (!(await realpath(file)).startsWith((await realpath(root)) + path.sep)) return { problem: 'points outside the attachments folder; not read' };
  if (st.size > maxBytes) return { file: { filename: name, contentType: a.contentType, size: st.size } };
  const content = await readFile(file);
  return { file: { filename: name, contentType: a.contentType, size: content.length, content } };
}

/** A dry run seals files as a real run would, and keeps nothing. */
class DiscardingBlobStore implements BlobStore {
  async put(): Promise<string> {
    const id = randomUUID();
    return `${id.slice(0, 2)}/${id}`;
  }
  async get(): Promise<Uint8Array> {
    throw new Error('a dry run keeps no files');
  }
  async delete(): Promise<void> {}
}
