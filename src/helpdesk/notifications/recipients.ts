/**
 * Who may be told about a ticket: active staff of its organisation whose roles
 * let them read it (tickets.read at org scope, team scope and in its team, or
 * own scope and its assignee) — the SQL twin of `can(p, 'tickets.read', ticket)`.
 * And `@name` mentions in a note, resolved against those readers only.
 */
import { sql, type SqlBool } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import '../tickets/schema.js';

export interface Reader {
  id: string;
  name: string;
  email: string;
  orgId: string;
}

/** The ticket's readers among `among` (or all of them when `among` is omitted). */
export async function ticketReaders(db: Executor, ticketId: string, among?: readonly string[]): Promise<Reader[]> {
  if (among && among.length === 0) return [];
  let q = db
    .selectFrom('users')
    .innerJoin('tickets', (j) => j.on('tickets.id', '=', ticketId).onRef('tickets.org_id', '=', 'users.org_id'))
    .where('users.status', '=', 'active')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('user_roles')
          .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
          .whereRef('user_roles.user_id', '=', 'users.id')
          .where('role_permissions.permission', '=', 'tickets.read')
          .where(
            sql<SqlBool>`(role_permissions.scope = 'org'
              OR (role_permissions.scope = 'team' AND (tickets.assignee_id = users.id OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = users.id AND tm.team_id = tickets.team_id)))
              OR (role_permissions.scope = 'own' AND tickets.assignee_id = users.id))`,
          )
          .select('user_roles.user_id'),
      ),
    )
    .select(['users.id', 'users.name', 'users.email', 'users.org_id as orgId']);
  if (among) q = q.where('users.id', 'in', [...among]);
  return q.orderBy('users.id').execute();
}

/** Members of a team (candidates; ticketReaders decides). */
export async function teamMemberIds(db: Executor, teamId: string): Promise<string[]> {
  const rows = await db.selectFrom('team_members').where('team_id', '=', teamId).select('user_id').execute();
  return rows.map((r) => r.user_id);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The readers a note mentions: `@Full Name`, `@first` (when only one reader has that first name)
 * or `@local` (the part of their sign-in address before the @), case-insensitive, not inside a word.
 */
export function mentionedReaders(body: string, readers: readonly Reader[]): Reader[] {
  if (!body.includes('@')) return [];
  const firstNames = new Map<string, number>();
  for (const r of readers) {
    const first = r.name.trim().split(/\s+/)[0]?.toLowerCase();
    if (first) firstNames.set(first, (firstNames.get(first) ?? 0) + 1);
  }
  const found: Reader[] = [];
  for (const r of readers) {
    const handles = new Set<string>();
    const name = r.name.trim().replace(/\s+/g, ' ');
    if (name) handles.add(name);
    const first = name.split(' ')[0];
    if (first && firstNames.get(first.toLowerCase()) === 1) handles.add(first);
    const local = r.email.split('@')[0];
    if (local) handles.add(local);
    const pattern = new RegExp(`(?:^|[^\\p{L}\\p{N}_.@-])@(?:${[...handles].map((h) => escape(h).replace(/ /g, '\\s+')).join('|')})(?![\\p{L}\\p{N}_-])`, 'iu');
    if (pattern.test(body)) found.push(r);
  }
  return found;
}
