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
import { DEFAULT_MODULE_LANGUAGE, MODULE_LANGUAGE, ModuleFormatError, parseModule, publicQuiz } from './format.js';
import { renderModuleMarkdown } from './markdown.js';
import type { TrainingModulesTable } from './schema.js';
import './schema.js';
import { loadShippedModules, loadShippedTranslations } from './shipped.js';
import { readOrgSetting } from '../organization/settings.js';

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

export function presentModule(m: ModuleRow & { languages?: string[] }) {
  return {
    id: m.id,
    key: m.key,
    version: m.version,
    language: m.language,
    /** Every language this version is written in (decision 0224). */
    languages: m.languages ?? [m.language],
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
  // The default-language modules first: a translation is of a version that exists.
  for (const { source, module: m } of [...loadShippedModules(), ...loadShippedTranslations()]) {
    const r = await db
      .insertInto('training_modules')
      .values({
        id: randomUUID(), org_id: null, key: m.key, version: m.version, title: m.title, summary: m.summary, audience: m.audience,
        minutes: m.minutes, pass_mark: m.passMark, max_attempts: m.maxAttempts, source, lesson_html: renderModuleMarkdown(m.lesson), quiz: JSON.stringify(m.quiz),
        language: m.language,
      })
      .onConflict((oc) => oc.columns(['key', 'version', 'language']).where('org_id', 'is', null).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (r) added++;
  }
  return added;
}

/**
 * Which row of a version is "the module" (assigned, listed): English when there is one, else the language the
 * version was first written in. Rows sorted by this come first (decision 0224).
 */
const primaryFirst = (a: ModuleRow, b: ModuleRow) =>
  b.version - a.version
  || Number(b.language === DEFAULT_MODULE_LANGUAGE) - Number(a.language === DEFAULT_MODULE_LANGUAGE)
  || new Date(a.created_at).getTime() - new Date(b.created_at).getTime()
  || a.id.localeCompare(b.id);

/** The newest version of each module the organisation can use (its own and the shipped ones), with its languages. */
export async function listModules(db: Kysely<Database> | Executor, orgId: string): Promise<Array<ModuleRow & { languages: string[] }>> {
  const rows = await db
    .selectFrom('training_modules')
    .where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)]))
    .selectAll()
    .execute();
  const byKey = new Map<string, ModuleRow[]>();
  for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  return [...byKey.values()].map((versions) => {
    const [top] = versions.sort(primaryFirst) as [ModuleRow];
    return { ...top, languages: [...new Set(versions.filter((v) => v.version === top.version).map((v) => v.language))].sort() };
  }).sort((a, b) => a.title.localeCompare(b.title));
}

/** The newest version of one module for the organisation (its primary language), or null. */
export async function latestModule(db: Kysely<Database> | Executor, orgId: string, key: string): Promise<ModuleRow | null> {
  const rows = await db
    .selectFrom('training_modules')
    .where('key', '=', key)
    .where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)]))
    .selectAll()
    .execute();
  return rows.sort(primaryFirst)[0] ?? null;
}

/**
 * The language version of an assigned module row to show a person (decision 0224): the same key and version in
 * their language (exact, then its primary subtag: "pt" for "pt-BR"), among the shipped rows and the
 * organisation's own; else the assigned row itself. Never another version: a translation of version 1 is not
 * shown for version 2.
 */
export async function versionInLanguage(db: Kysely<Database> | Executor, orgId: string, assigned: ModuleRow, language: string | null): Promise<ModuleRow> {
  if (!language || language === assigned.language) return assigned;
  const wanted = [language, language.split('-')[0]!];
  const rows = await db
    .selectFrom('training_modules')
    .where('key', '=', assigned.key)
    .where('version', '=', assigned.version)
    .where('language', 'in', wanted)
    .where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)]))
    .selectAll()
    .execute();
  for (const w of wanted) {
    if (w === assigned.language) return assigned;
    const row = rows.find((r) => r.language === w);
    if (row) return row;
  }
  return assigned;
}

/**
 * The language a person reads training in: the one they chose for security exercises (users.language, the same
 * preference simulations use), else their organisation's (the simulation settings' language), else English.
 */
export async function personLanguage(db: Kysely<Database> | Executor, orgId: string, userId: string): Promise<string> {
  const user = await db.selectFrom('users').where('id', '=', userId).where('org_id', '=', orgId).select('language').executeTakeFirst();
  if (user?.language) return user.language;
  const value = (await readOrgSetting(db, orgId, 'simulations')) as { language?: unknown } | undefined;
  return typeof value?.language === 'string' && MODULE_LANGUAGE.test(value.language) ? value.language : DEFAULT_MODULE_LANGUAGE;
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
    // A language version (decision 0224): the same id and version as an existing module, in a language that
    // version does not have yet. Shipped modules may be translated this way and never otherwise reused.
    const sameKey = await trx.selectFrom('training_modules').where('key', '=', parsed.key).where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)]))
      .select(['org_id', 'version', 'language']).execute();
    const sameVersion = sameKey.filter((r) => r.version === parsed.version);
    const shipped = sameKey.some((r) => r.org_id === null);
    if (sameVersion.some((r) => r.language === parsed.language)) {
      throw new AppError('conflict', `Version ${parsed.version} of this module exists in "${parsed.language}". Give a new version a higher number, or write it in another language.`);
    }
    if (shipped && sameVersion.length === 0) {
      throw new AppError('conflict', 'A module shipped with Trustdesk has this id. Give yours an id of its own, or translate it: the same id and version with `language:`.');
    }
    if (sameVersion.length === 0) {
      const lastVersion = Math.max(0, ...sameKey.map((r) => r.version));
      if (parsed.version <= lastVersion) throw new AppError('conflict', `Version ${lastVersion} of this module exists. Give the new one a higher version.`);
    }
    const id = randomUUID();
    const row = await trx
      .insertInto('training_modules')
      .values({
        id, org_id: orgId, key: parsed.key, version: parsed.version, title: parsed.title, summary: parsed.summary, audience: parsed.audience,
        minutes: parsed.minutes, pass_mark: parsed.passMark, max_attempts: parsed.maxAttempts, source, lesson_html: renderModuleMarkdown(parsed.lesson),
        quiz: JSON.stringify(parsed.quiz), created_by: actor.principal.userId, language: parsed.language,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.audit.append(trx, { ...actingOf(actor), action: 'training.module.add', object: { type: 'training_module', id }, result: 'success', details: { key: parsed.key, version: parsed.version, language: parsed.language, questions: parsed.quiz.length } });
    return presentModule(row);
  });
}
