/**
 * Training modules in the database: the shipped ones written at start-up (organisation null, one row per
 * version, never changed), an organisation's own added through the API in the same format. A key names a
 * module; each version is its own row, and an assignment points at the row it was given.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { Principal } from '../auth/access.js';
import { ModuleFormatError, parseModule, publicQuiz } from './format.js';
import { renderModuleMarkdown } from './markdown.js';
import type { TrainingModulesTable } from './schema.js';
import './schema.js';
import { loadShippedModules } from './shipped.js';

export interface TrainingDeps {
  db: Kysely<Database>;
  audit: AuditLog;
}

/** Who acts, for the audit trail. */
export interface TrainingActor {
  principal: Principal;
  requestId?: string | null;
}

export const actingOf = (a: TrainingActor) => ({
  orgId: a.principal.orgId,
  actor: { type: a.principal.kind === 'token' ? ('token' as const) : ('user' as const), id: a.principal.kind === 'token' ? (a.principal.tokenId ?? a.principal.userId) : a.principal.userId },
  requestId: a.requestId ?? null,
  sourceIp: a.principal.ip ?? null,
});

export type ModuleRow = Selectable<TrainingModulesTable>;

export function presentModule(m: ModuleRow) {
  return {
    id: m.id,
    key: m.key,
    version: m.version,
    title: m.title,
    summary: m.summary,
    audience: [...m.audience],
    minutes: m.minutes,
    passMark: m.pass_mark,
    maxAttempts: m.max_attempts,
    questions: m.quiz.length,
    shipped: m.org_id === null,
  };
}

/** Writes every shipped module version that is not in the database yet (several instances at once: one wins). */
export async function syncShippedModules(db: Kysely<Database>): Promise<number> {
  let added = 0;
  for (const { source, module: m } of loadShippedModules()) {
    const r = await db
      .insertInto('training_modules')
      .values({
        id: randomUUID(), org_id: null, key: m.key, version: m.version, title: m.title, summary: m.summary, audience: m.audience,
        minutes: m.minutes, pass_mark: m.passMark, max_attempts: m.maxAttempts, source, lesson_html: renderModuleMarkdown(m.lesson), quiz: JSON.stringify(m.quiz),
      })
      .onConflict((oc) => oc.columns(['key', 'version']).where('org_id', 'is', null).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (r) added++;
  }
  return added;
}

/** The newest version of each module the organisation can use (its own and the shipped ones). */
export async function listModules(db: Kysely<Database> | Executor, orgId: string): Promise<ModuleRow[]> {
  const rows = await db
    .selectFrom('training_modules')
    .where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)]))
    .selectAll()
    .orderBy('key')
    .orderBy('version', 'desc')
    .execute();
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(r.key) ? false : (seen.add(r.key), true))).sort((a, b) => a.title.localeCompare(b.title));
}

/** The newest version of one module for the organisation, or null. */
export async function latestModule(db: Kysely<Database> | Executor, orgId: string, key: string): Promise<ModuleRow | null> {
  const row = await db
    .selectFrom('training_modules')
    .where('key', '=', key)
    .where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)]))
    .selectAll()
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

export async function readModule(db: Kysely<Database>, orgId: string, id: string) {
  const m = await db
    .selectFrom('training_modules')
    .where('id', '=', id)
    .where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)]))
    .selectAll()
    .executeTakeFirst();
  if (!m) throw new AppError('not_found', 'No such module.');
  const open = publicQuiz(m.quiz);
  return {
    ...presentModule(m),
    source: m.source,
    lessonHtml: m.lesson_html,
    quiz: m.quiz.map((q, i) => ({ ...open[i]!, correct: [...q.correct], explanation: q.explanation })),
  };
}

/**
 * Adds a module written in the documented format. A shipped module's key cannot be reused (an organisation
 * writes its own under its own key); a new version of the organisation's own module must be higher than the
 * last. Format problems answer validation_failed with every problem listed.
 */
export async function addModule(deps: TrainingDeps, actor: TrainingActor, source: string) {
  let parsed;
  try {
    parsed = parseModule(source);
  } catch (err) {
    if (err instanceof ModuleFormatError) throw new AppError('validation_failed', 'The module does not follow the format.', { extra: { problems: err.problems } });
    throw err;
  }
  const orgId = actor.principal.orgId;
  return deps.db.transaction().execute(async (trx) => {
    // One writer per organisation and key at a time: the version check and the insert see the same rows.
    await trx.selectFrom('organizations').where('id', '=', orgId).select('id').forUpdate().executeTakeFirstOrThrow();
    const shipped = await trx.selectFrom('training_modules').where('org_id', 'is', null).where('key', '=', parsed.key).select('id').executeTakeFirst();
    if (shipped) throw new AppError('conflict', 'A module shipped with Trustdesk has this id. Give yours an id of its own.');
    const last = await trx.selectFrom('training_modules').where('org_id', '=', orgId).where('key', '=', parsed.key).select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    const lastVersion = last?.v == null ? 0 : Number(last.v);
    if (parsed.version <= lastVersion) throw new AppError('conflict', `Version ${lastVersion} of this module exists. Give the new one a higher version.`);
    const id = randomUUID();
    const row = await trx
      .insertInto('training_modules')
      .values({
        id, org_id: orgId, key: parsed.key, version: parsed.version, title: parsed.title, summary: parsed.summary, audience: parsed.audience,
        minutes: parsed.minutes, pass_mark: parsed.passMark, max_attempts: parsed.maxAttempts, source, lesson_html: renderModuleMarkdown(parsed.lesson),
        quiz: JSON.stringify(parsed.quiz), created_by: actor.principal.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.audit.append(trx, { ...actingOf(actor), action: 'training.module.add', object: { type: 'training_module', id }, result: 'success', details: { key: parsed.key, version: parsed.version, questions: parsed.quiz.length } });
    return presentModule(row);
  });
}
