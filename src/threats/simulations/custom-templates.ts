/**
 * Security officers' own simulation templates (decision 0197): create, edit, delete, copy a shipped one, and
 * the template a campaign sends in a recipient's language. A template has one or more language versions; each
 * is checked as a shipped template is (variables known, {{link}} present, every red flag found in its part,
 * sizes bounded), and the organisation holds at most MAX_TEMPLATES_PER_ORG. Shipped templates stay read-only.
 * A campaign keeps a copy of the template it was made with, so later edits never change what it sends.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { latestModule } from '../../identity/training/modules.service.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { findTemplate } from './shipped-templates.js';
import { checkTemplate, type Difficulty, type SimulationTemplate, type TemplateAttachment } from './templates.js';
import type { StoredTemplate, StoredTemplateVersion } from './schema.js';
import './schema.js';

export const MAX_TEMPLATES_PER_ORG = 50;
export const MAX_VERSIONS = 10;
/** The language shipped templates are written in. */
export const SHIPPED_LANGUAGE = 'en';

export interface TemplateInput {
  name: string;
  scenario: string;
  difficulty: number;
  trainingTopic: string;
  defaultLanguage: string;
  versions: StoredTemplateVersion[];
}

/** One language version as the renderer's template. */
export function versionAsTemplate(t: Omit<StoredTemplate, 'versions'>, v: StoredTemplateVersion): SimulationTemplate {
  return {
    id: t.id, version: t.version, name: t.name, scenario: t.scenario, difficulty: t.difficulty as Difficulty, trainingTopic: t.trainingTopic,
    from: { name: v.fromName, localPart: v.fromLocalPart }, subject: v.subject, body: v.body, redFlags: v.redFlags,
    attachment: v.attachment ? { kind: 'document', ...v.attachment } : undefined,
  };
}

/** The version for a language: that language, else the template's default, else its first. */
export function pickVersion(t: StoredTemplate, language: string | null | undefined): StoredTemplateVersion {
  const exact = t.versions.find((v) => v.language === language);
  const primary = language ? t.versions.find((v) => v.language === language.split('-')[0]) : undefined;
  return exact ?? primary ?? t.versions.find((v) => v.language === t.defaultLanguage) ?? t.versions[0]!;
}

/**
 * The template a campaign sends, in a language: its stored copy when it has one, else the shipped template of
 * that id (English only). Undefined when neither exists.
 */
export function campaignTemplate(c: { template_id: string; template: StoredTemplate | null }, language: string | null | undefined): { template: SimulationTemplate; language: string } | undefined {
  if (c.template) {
    const v = pickVersion(c.template, language);
    return { template: versionAsTemplate(c.template, v), language: v.language };
  }
  const shipped = findTemplate(c.template_id);
  return shipped ? { template: shipped, language: SHIPPED_LANGUAGE } : undefined;
}

function problem(errors: Array<{ field: string; message: string }>): AppError {
  return new AppError('validation_failed', `The template is not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ').slice(0, 500)}`, { extra: { errors } });
}

/** Checks every version (and the training module, which must exist for the organisation). */
export async function checkInput(db: Kysely<Database>, orgId: string, input: TemplateInput): Promise<void> {
  const errors: Array<{ field: string; message: string }> = [];
  const languages = input.versions.map((v) => v.language);
  if (new Set(languages).size !== languages.length) errors.push({ field: 'versions', message: 'one version per language' });
  if (!languages.includes(input.defaultLanguage)) errors.push({ field: 'defaultLanguage', message: 'must be the language of one of the versions' });
  if (!(await latestModule(db, orgId, input.trainingTopic))) errors.push({ field: 'trainingTopic', message: 'no such training module' });
  const base = { id: 'check', version: 1, name: input.name, scenario: input.scenario, difficulty: input.difficulty as Difficulty, trainingTopic: input.trainingTopic, defaultLanguage: input.defaultLanguage };
  input.versions.forEach((v, i) => {
    for (const p of checkTemplate(versionAsTemplate(base, v))) if (!p.startsWith('id:')) errors.push({ field: `versions/${i}`, message: p });
  });
  if (errors.length) throw problem(errors);
}

type Row = Awaited<ReturnType<typeof loadRow>>;

async function loadRow(db: Kysely<Database>, orgId: string, id: string) {
  return db.selectFrom('simulation_templates').where('id', '=', id).where('org_id', '=', orgId).selectAll().executeTakeFirst();
}

export function presentStored(r: NonNullable<Row>): StoredTemplate & { updatedAt: string } {
  return {
    id: r.id, version: r.version, name: r.name, scenario: r.scenario, difficulty: r.difficulty as Difficulty, trainingTopic: r.training_topic,
    defaultLanguage: r.default_language, versions: r.versions, updatedAt: new Date(r.updated_at).toISOString(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The organisation's template of that id (not found for another organisation's, or a malformed id). */
export async function readOrgTemplate(db: Kysely<Database>, orgId: string, id: string): Promise<StoredTemplate & { updatedAt: string }> {
  const row = UUID.test(id) ? await loadRow(db, orgId, id) : undefined;
  if (!row) throw new AppError('not_found', 'No such template.');
  return presentStored(row);
}

export async function listOrgTemplates(db: Kysely<Database>, orgId: string) {
  const rows = await db.selectFrom('simulation_templates').where('org_id', '=', orgId).selectAll().orderBy('name').orderBy('id').execute();
  return rows.map(presentStored);
}

/**
 * A template by id for a new campaign: an organisation template (its copy is kept on the campaign) or a
 * shipped one (kept by id). Null when neither exists in the caller's organisation.
 */
export async function resolveForCampaign(db: Kysely<Database>, orgId: string, id: string): Promise<{ stored: StoredTemplate | null } | null> {
  if (findTemplate(id)) return { stored: null };
  if (!UUID.test(id)) return null;
  const row = await loadRow(db, orgId, id);
  if (!row) return null;
  const { updatedAt: _u, ...stored } = presentStored(row);
  return { stored };
}

export async function createOrgTemplate(deps: HelpdeskDeps, ctx: AgentContext, input: TemplateInput): Promise<StoredTemplate & { updatedAt: string }> {
  const orgId = ctx.principal.orgId;
  await checkInput(deps.db, orgId, input);
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    // The organisation's row lock: two creations at once cannot both take the last place.
    await trx.selectFrom('organizations').where('id', '=', orgId).select('id').forUpdate().executeTakeFirst();
    const n = Number((await trx.selectFrom('simulation_templates').where('org_id', '=', orgId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    if (n >= MAX_TEMPLATES_PER_ORG) throw new AppError('validation_failed', `At most ${MAX_TEMPLATES_PER_ORG} templates per organisation; delete one first.`);
    await trx.insertInto('simulation_templates').values({
      id, org_id: orgId, name: input.name, scenario: input.scenario, difficulty: input.difficulty, training_topic: input.trainingTopic,
      default_language: input.defaultLanguage, versions: JSON.stringify(input.versions), created_by: ctx.principal.userId,
    }).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'simulation.template.create', object: { type: 'simulation_template', id }, result: 'success', details: { languages: input.versions.map((v) => v.language) } });
  });
  return readOrgTemplate(deps.db, orgId, id);
}

export async function updateOrgTemplate(deps: HelpdeskDeps, ctx: AgentContext, id: string, input: TemplateInput): Promise<StoredTemplate & { updatedAt: string }> {
  const orgId = ctx.principal.orgId;
  await readOrgTemplate(deps.db, orgId, id);
  await checkInput(deps.db, orgId, input);
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('simulation_templates').where('id', '=', id).where('org_id', '=', orgId).select('version').forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such template.');
    await trx.updateTable('simulation_templates').set({
      name: input.name, scenario: input.scenario, difficulty: input.difficulty, training_topic: input.trainingTopic, default_language: input.defaultLanguage,
      versions: JSON.stringify(input.versions), version: row.version + 1, updated_at: new Date(),
    }).where('id', '=', id).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'simulation.template.update', object: { type: 'simulation_template', id }, result: 'success', details: { version: row.version + 1, languages: input.versions.map((v) => v.language) } });
  });
  return readOrgTemplate(deps.db, orgId, id);
}

export async function deleteOrgTemplate(deps: HelpdeskDeps, ctx: AgentContext, id: string): Promise<void> {
  if (!UUID.test(id)) throw new AppError('not_found', 'No such template.');
  await deps.db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('simulation_templates').where('id', '=', id).where('org_id', '=', ctx.principal.orgId).returning('id').executeTakeFirst();
    if (!gone) throw new AppError('not_found', 'No such template.');
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'simulation.template.delete', object: { type: 'simulation_template', id }, result: 'success' });
  });
}

/** A shipped template as the starting point of the organisation's own (English, "Copy of …"). */
export async function copyShippedTemplate(deps: HelpdeskDeps, ctx: AgentContext, shippedId: string): Promise<StoredTemplate & { updatedAt: string }> {
  const t = findTemplate(shippedId);
  if (!t) throw new AppError('not_found', 'No such shipped template.');
  return createOrgTemplate(deps, ctx, {
    name: `Copy of ${t.name}`.slice(0, 200), scenario: t.scenario, difficulty: t.difficulty, trainingTopic: t.trainingTopic, defaultLanguage: SHIPPED_LANGUAGE,
    versions: [{ language: SHIPPED_LANGUAGE, fromName: t.from.name, fromLocalPart: t.from.localPart, subject: t.subject, body: t.body, redFlags: t.redFlags.map((f) => ({ ...f })), ...(t.attachment ? { attachment: attachmentAsDocument(t.attachment) } : {}) }],
  });
}

/** A shipped attachment in the own-template form, worded as the shipped invoice is (decision 0223), to edit. */
export function attachmentAsDocument(a: TemplateAttachment): NonNullable<StoredTemplateVersion['attachment']> {
  if (a.kind === 'document') return { filename: a.filename, title: a.title, text: a.text, button: a.button };
  return {
    filename: 'Invoice_{{document.number}}',
    title: 'INVOICE {{document.number}}',
    text: [a.issuer, '', 'Bill to: {{organisation.name}}', 'Invoice date: {{document.date}}', 'Due date: {{document.due}}', '', `${a.item}: {{document.amount}}`, 'Amount due: {{document.amount}}', '', 'Payment terms: on receipt. Late payment fees apply.'].join('\n'),
    button: 'View invoice',
  };
}
