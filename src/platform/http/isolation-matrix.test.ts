/**
 * Isolation between organisations, generated from the route table (issue 19).
 *
 * Two organisations, A and B, each hold one real object of every kind
 * (isolation-fixture.ts). Then, as A's most powerful principals — a member of
 * staff with every built-in role, a signed-in portal customer, a SCIM token:
 *
 * - every route that takes an id is called with B's ids and with random ids,
 *   with the same minimal valid body: the two answers must be the same (status,
 *   problem code, body with the ids blanked). A route whose path holds an id of
 *   a kind this file does not map fails the test, so a new route cannot go
 *   uncovered;
 * - every list, search and count A can read is read twice before B's objects
 *   exist and once after: a route that answered the same twice must answer the
 *   same again, and no answer may hold any of B's ids or its marker text.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices, testSchemaCache } from '../app/testing.js';
import { testDatabaseKinds } from '../db/testing.js';
import { sessionHandle } from '../../identity/auth/sessions.js';
import { buildApp } from './app.js';
import { customerDomainFor, KINDS, seedEveryKind, type Kind, type SeededOrg } from './isolation-fixture.js';
import { appRoutes } from './routes.js';

/** A path parameter's kind of object, keyed by the route's path up to and including the parameter. */
const PARAM_KIND: Record<string, Kind> = {
  '/api/access-reviews/:id': 'accessReview',
  '/api/access-reviews/:id/items/:itemId': 'accessReviewItem',
  '/api/audit/entries/:index': 'auditEntry',
  '/api/auth/mfa/reset/:userId': 'user',
  '/api/auth/mfa/webauthn/credentials/:id': 'webauthnCredential',
  '/api/auth/sessions/:id': 'session',
  '/api/auth/sso/saml/:connectionId': 'samlConnection',
  '/api/awareness/people/:id': 'user',
  '/api/chats/:id': 'chat',
  '/api/customers/:id': 'customer',
  '/api/devices/:id': 'device',
  '/api/incidents/:id': 'incident',
  '/api/insider/alerts/:id': 'insiderAlert',
  '/api/insider/people/:userId': 'user',
  '/api/insider/suppressions/:id': 'insiderSuppression',
  '/api/kb/articles/:id': 'kbArticle',
  '/api/kb/categories/:id': 'kbCategory',
  '/api/macros/:id': 'macro',
  '/api/mailboxes/:id': 'mailbox',
  '/api/notifications/:id': 'notification',
  '/api/organization/mail/imap/:id': 'imapAccount',
  '/api/phishing-reports/:id': 'phishingReport',
  '/api/policies/attestations/people/:id': 'user',
  '/api/policies/versions/:id': 'policyVersion',
  '/api/portal/kb/articles/:slug': 'kbArticleSlug',
  '/api/portal/mfa/passkeys/:id': 'portalPasskey',
  '/api/portal/secure-messages/:id': 'secureMessage',
  '/api/portal/tickets/:id': 'ticket',
  '/api/portal/tickets/:id/attachments/:attachmentId': 'attachment',
  '/api/portal/verifications/:id': 'verification',
  '/api/privacy/holds/:id': 'privacyHold',
  '/api/privacy/requests/:id': 'privacyRequest',
  '/api/privacy/retention/runs/:id': 'retentionRun',
  '/api/quarantine/:id': 'quarantineItem',
  '/api/roles/:id': 'role',
  '/api/routing-rules/:id': 'routingRule',
  '/api/scim/tokens/:id': 'scimToken',
  '/api/sender-lists/:id': 'senderListEntry',
  '/api/siem/destinations/:id': 'siemDestination',
  '/api/simulations/campaigns/:id': 'simulationCampaign',
  '/api/simulations/custom-templates/:id': 'customTemplate',
  '/api/simulations/templates/:id': 'customTemplate',
  '/api/sla-policies/:id': 'slaPolicy',
  '/api/teams/:id': 'team',
  '/api/tickets/:id': 'ticket',
  '/api/tickets/:id/attachments/:attachmentId': 'attachment',
  '/api/tickets/:id/macros/:macroId': 'macro',
  '/api/tickets/:id/messages/:messageId': 'message',
  '/api/tickets/:id/verifications/:verificationId': 'verification',
  '/api/tickets/:ticketId': 'ticket',
  '/api/tickets/:ticketId/messages/:messageId': 'message',
  '/api/tokens/:id': 'token',
  '/api/training/assignments/:id': 'trainingAssignment',
  '/api/training/rules/:id': 'trainingRule',
  '/api/users/:id': 'user',
  '/api/users/:id/devices/:deviceId': 'device',
  '/api/users/invitations/:id': 'invitation',
  '/api/views/:id': 'view',
  '/api/webhooks/:id': 'webhook',
  '/scim/v2/Groups/:id': 'scimGroup',
  '/scim/v2/Users/:id': 'scimUser',
};

/** Path parameters that are not an organisation's objects, and why calling them with B's values proves nothing. */
const NOT_AN_OBJECT: Record<string, string> = {
  '/api/auth/mfa/codes/:channel': 'a factor channel name (email, sms) of the caller’s own account',
  '/api/policies/:kind': 'a policy kind (data-handling, …), the same names in every organisation',
  '/api/training/modules/:id': 'a module of the built-in training catalogue, the same in every organisation',
  '/scim/v2/ResourceTypes/:id': 'a SCIM resource type name (RFC 7643), not data',
  '/scim/v2/Schemas/:id': 'a SCIM schema URN (RFC 7643), not data',
};

/** Routes public by design whose parameter is itself the credential or names a public object, and why. */
const PUBLIC_BY_DESIGN: Record<string, string> = {
  '/api/portal/branding/:organizationId': 'an organisation’s portal name, logo and colours are what its public pages show anyone',
  '/api/auth/sso/saml/:connectionId': 'a service provider’s SAML metadata is what the identity provider fetches without signing in (decision 0209); it holds URLs and a public certificate',
  '/l/:token': 'a simulation link: the unguessable token in a delivered message is the capability (decision 0192)',
};

/** Lists whose answer changes between two identical reads by the same caller, and why; they are still searched for B's ids and marker. */
const VOLATILE: Record<string, string> = {
  'GET /api/audit/entries': 'the caller’s own reads are audited, and the newest entries come first',
  'GET /api/audit/checkpoint': 'the trail grows with every audited read, the caller’s own included (one log for the installation: docs/organizations.md, "Audit")',
  'GET /api/audit/consistency': 'a proof to the latest checkpoint, which grows with every audited read',
  'GET /api/portal/request-form': 'a fresh signed form token on every read, against automated submissions',
  'GET /api/siem/destinations': 'each destination’s lag counts the organisation’s entries not yet sent, the caller’s own reads included',
};

const ZERO_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Schema { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; enum?: Json[]; const?: Json; default?: Json; format?: string; minLength?: number; maxLength?: number; minimum?: number; exclusiveMinimum?: number; minItems?: number; pattern?: string }

/** The smallest value a JSON schema accepts, as near as a generic reading can tell: enough to get a request past validation. */
function minimal(schema: Schema | undefined, fixedUuid: string, word = 'x'): Json {
  if (!schema) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0]!;
  if (schema.default !== undefined) return schema.default;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return minimal(alternatives.find((s) => s.type !== 'null') ?? alternatives[0], fixedUuid, word);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map((s) => minimal(s, fixedUuid, word) as object));
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : (schema.type ?? (schema.properties ? 'object' : 'null'));
  switch (type) {
    case 'object': {
      const out: Record<string, Json> = {};
      for (const key of schema.required ?? []) out[key] = minimal(schema.properties?.[key], fixedUuid, word);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => minimal(schema.items, fixedUuid, word));
    case 'string': {
      if (schema.format === 'uuid') return fixedUuid;
      if (schema.format === 'email') return 'isolation@matrix.example';
      if (schema.format === 'date-time') return new Date(Date.now() + 7 * 86_400_000).toISOString();
      if (schema.format === 'date') return '2031-01-01';
      if (schema.format === 'uri') return 'https://matrix.example/';
      // A word of the call's own where it fits, so that a name made by one call does not clash with the next.
      if (schema.pattern === undefined && (schema.maxLength ?? 100) >= word.length) return word.padEnd(schema.minLength ?? 1, 'x');
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 1));
    }
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/** A body or query field holding an object's id, by the field's name: the kind of B's object put there. */
const REFERENCE_KIND: Record<string, Kind> = {
  teamId: 'team', teamIds: 'team', teams: 'team', setTeamId: 'team',
  userId: 'user', userIds: 'user', assigneeId: 'user', assignee: 'user', agentId: 'user', setAssigneeId: 'user', ownerId: 'user', reviewerId: 'user', breakGlassUserIds: 'user', targetId: 'user',
  mailboxId: 'mailbox', matchMailboxId: 'mailbox',
  roleId: 'role', roleIds: 'role',
  categoryId: 'kbCategory',
  customerId: 'customer', requesterId: 'customer', duplicateId: 'customer',
  ticketId: 'ticket', ticketIds: 'ticket', sourceIds: 'ticket', objectId: 'ticket',
  messageId: 'message', messageIds: 'message',
  attachmentIds: 'attachment',
  viewId: 'view',
  versionId: 'policyVersion',
  verificationId: 'verification',
  deviceId: 'device',
  'source.id': 'phishingReport',
};

/** Id fields that do not name an organisation's object, and why. */
const NOT_A_REFERENCE: Record<string, string> = {
  challengeId: 'a sign-in or factor challenge of the caller’s own, short-lived',
  clientId: 'the sender’s own id for a chat message, to make a retry idempotent',
  moduleId: 'a module of the built-in training catalogue',
  organizationId: 'a public page names the organisation whose page it is',
  orgId: 'a public page names the organisation whose page it is',
  m: 'a link check names the message it came from, checked against the caller’s own tickets',
};

/** Whether anything in the schema is an id (format uuid). */
function holdsId(schema: Schema | undefined): boolean {
  if (!schema) return false;
  if (schema.format === 'uuid') return true;
  return [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].some(holdsId) || holdsId(schema.items) || Object.values(schema.properties ?? {}).some(holdsId);
}

/** The ids' field paths (`filters.teamIds[]`, `source.id`). */
function idPaths(schema: Schema | undefined, path = ''): string[] {
  if (!schema) return [];
  if (schema.format === 'uuid') return [path];
  return [
    ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].flatMap((s) => idPaths(s, path)),
    ...idPaths(schema.items, `${path}[]`),
    ...Object.entries(schema.properties ?? {}).flatMap(([k, v]) => idPaths(v, path ? `${path}.${k}` : k)),
  ];
}

/** The field's name as REFERENCE_KIND and NOT_A_REFERENCE know it: `filters.teamIds[]` → `teamIds`, `source.id` stays. */
const fieldName = (path: string) => {
  const bare = path.replace(/\[\]/g, '');
  return bare.endsWith('.id') ? bare.split('.').slice(-2).join('.') : bare.split('.').pop()!;
};

/** Like `minimal`, but with every field that holds an id present (one item in an id array), each filled by `pick`. */
function referencing(schema: Schema | undefined, pick: (path: string) => string, fixedUuid: string, word: string, path = ''): Json {
  if (!schema) return null;
  if (schema.format === 'uuid') return pick(path);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return referencing(alternatives.find(holdsId) ?? alternatives.find((s) => s.type !== 'null') ?? alternatives[0], pick, fixedUuid, word, path);
  if (!holdsId(schema)) return minimal(schema, fixedUuid, word);
  if (schema.items) return [referencing(schema.items, pick, fixedUuid, word, `${path}[]`)];
  const out: Record<string, Json> = {};
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (schema.required?.includes(key) || holdsId(prop)) out[key] = referencing(prop, pick, fixedUuid, word, path ? `${path}.${key}` : key);
  }
  return out;
}

describe.each(testDatabaseKinds)('isolation between organisations, from the route table, on %s (issue 19)', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  const routes: RouteOptions[] = [];
  let a: SeededOrg;
  let b: SeededOrg;
  let bIds: string[] = [];
  /** B's marker is chosen before anything exists, so that searches ask the same question before and after. */
  const bMarker = `zqb${randomUUID().slice(0, 6)}`;

  const methods = (r: RouteOptions) => (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
  const config = (r: RouteOptions) => (r.config ?? {}) as { public?: boolean; portalSession?: boolean; ownAuthorization?: boolean; sessionOnly?: boolean };
  /** The route's path parameters, each with the path up to and including it. */
  const params = (url: string) => [...url.matchAll(/:([a-zA-Z]+)/g)].map((m) => ({ name: m[1]!, prefix: url.slice(0, m.index! + m[0].length) }));

  /** The headers of A's principal for this route: SCIM token, portal session, nobody (public) or staff. */
  function callerFor(route: RouteOptions): Record<string, string> {
    if (route.url.startsWith('/scim/v2')) return { authorization: `Bearer ${a.scimToken}`, 'content-type': 'application/scim+json' };
    if (config(route).portalSession) return a.portal.headers;
    if (config(route).public) return {};
    return a.staff.headers;
  }

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({
      services,
      schemaCache: testSchemaCache,
      routes: [
        async (scope) => {
          scope.addHook('onRoute', (route) => {
            routes.push(route);
          });
          for (const plugin of appRoutes) await scope.register(plugin);
        },
      ],
    });
    await app.ready();
    a = await seedEveryKind(app, services, { marker: `zqa${randomUUID().slice(0, 6)}` });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  // --- Lists, searches and counts ---------------------------------------------------------------

  /** Every list, search or count A's principals can read, with the query that makes a search look for B. */
  function listRoutes(): Array<{ key: string; route: RouteOptions; url: () => string }> {
    return routes.flatMap((route) => {
      if (!methods(route).includes('GET') || params(route.url).length) return [];
      if (!route.url.startsWith('/api/') && !route.url.startsWith('/scim/v2/')) return [];
      if (route.url.includes('*') || config(route).sessionOnly || route.url === '/api/chat/socket' || route.url === '/api/auth/sso/callback') return [];
      const query = route.schema?.querystring as Schema | undefined;
      return [{
        key: `GET ${route.url}`,
        route,
        url: () => {
          const q = new URLSearchParams();
          for (const [name, value] of Object.entries((minimal(query, randomUUID()) ?? {}) as Record<string, Json>)) q.set(name, String(value));
          for (const name of Object.keys(query?.properties ?? {})) {
            if (name === 'q') q.set('q', bMarker);
            if (name === 'email') q.set('email', `${bMarker}.customer@${customerDomainFor(bMarker)}`);
            if (name === 'organizationId' || name === 'orgId') q.set(name, a.org.orgId);
          }
          const s = q.toString();
          return s ? `${route.url}?${s}` : route.url;
        },
      }];
    });
  }

  /** An answer with what varies by the moment blanked: times and the request's own id. */
  const normalise = (body: string) => body
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})/g, '<time>')
    .replace(/"requestId":"[^"]*"/g, '"requestId":"<id>"');

  async function snapshot(): Promise<Map<string, string>> {
    // Whatever the last reads left in the audit trail is written first, so that two identical reads see the same trail.
    await services.audit.flush();
    const out = new Map<string, string>();
    for (const l of listRoutes()) {
      const res = await app.inject({ url: l.url(), headers: callerFor(l.route) });
      out.set(l.key, `${res.statusCode} ${normalise(res.body)}`);
    }
    return out;
  }

  /** An audit listing without the entries whose actor is A's own member of staff. */
  function ownEntriesDropped(seen: string): string {
    const body = JSON.parse(seen.slice(seen.indexOf(' ') + 1)) as { entries: Array<{ actorId: string | null }> };
    return JSON.stringify(body.entries.filter((e) => e.actorId !== a.staff.userId));
  }

  let before: Map<string, string>;
  let again: Map<string, string>;

  it('seeds two organisations with one real object of every kind', async () => {
    before = await snapshot();
    again = await snapshot();
    b = await seedEveryKind(app, services, { marker: bMarker });
    bIds = KINDS.map((k) => b.objects[k].id).filter((id) => id.length >= 8);
    for (const org of [a, b]) {
      for (const objectKind of KINDS) {
        const { id, table } = org.objects[objectKind];
        const db = services.database.db as unknown as { selectFrom(t: string): { selectAll(): { execute(): Promise<Array<Record<string, unknown>>> } } };
        // A session is named by its public handle, derived from the stored hash.
        const names = (row: Record<string, unknown>) => (objectKind === 'session' ? [sessionHandle(row.id_hash as Uint8Array)] : Object.values(row).map(String));
        const rows = (await db.selectFrom(table).selectAll().execute()).filter((row) => names(row).includes(id));
        expect(rows.length, `${objectKind}: ${table} ${id}`).toBeGreaterThan(0);
        if ('org_id' in rows[0]!) expect(rows.some((row) => row.org_id === org.org.orgId), `${objectKind} belongs to its organisation`).toBe(true);
      }
    }
  }, 120_000);

  // Before the sweeps below, whose own writes to A would change its lists.
  it('shows A nothing of B in any list, search or count', async () => {
    const after = await snapshot();
    const leaks: string[] = [];
    const volatile: string[] = [];
    for (const [key, seen] of after) {
      // A's own trail records the ids A's caller sent in the sweep above: those are A's words, not B's data.
      const own = key === 'GET /api/audit/entries' ? ownEntriesDropped(seen) : seen;
      for (const id of [...bIds, b.marker]) if (own.includes(id)) leaks.push(`${key}: holds ${id}`);
      if (before.get(key) !== again.get(key)) {
        volatile.push(key);
        continue;
      }
      if (seen !== before.get(key)) {
        const old = before.get(key)!;
        let at = 0;
        while (at < old.length && old[at] === seen[at]) at++;
        leaks.push(`${key}: changed when B's objects were created\n    before: …${old.slice(Math.max(0, at - 150), at + 150)}\n    after:  …${seen.slice(Math.max(0, at - 150), at + 150)}`);
      }
    }
    expect(leaks, leaks.join('\n')).toEqual([]);
    expect(volatile.sort(), 'lists that change between two identical reads must say why in VOLATILE').toEqual(Object.keys(VOLATILE).sort());
    expect(after.size).toBeGreaterThan(80);
    expect([...after.values()].filter((s) => s.startsWith('200 ')).length, 'most lists answered').toBeGreaterThan(60);
  }, 120_000);

  it('maps every path parameter of every route to a kind of object, or says why it is not one', () => {
    const unmapped: string[] = [];
    const used = new Set<string>();
    for (const route of routes) {
      for (const p of params(route.url)) {
        used.add(p.prefix);
        if (!(p.prefix in PARAM_KIND) && !(p.prefix in NOT_AN_OBJECT) && !(route.url in PUBLIC_BY_DESIGN) && !(p.prefix in PUBLIC_BY_DESIGN)) unmapped.push(`${route.url} (:${p.name})`);
      }
    }
    expect(unmapped, 'routes taking an id of a kind this matrix does not know: seed one in isolation-fixture.ts and map it here').toEqual([]);
    const stale = [...Object.keys(PARAM_KIND), ...Object.keys(NOT_AN_OBJECT), ...Object.keys(PUBLIC_BY_DESIGN)].filter((k) => !used.has(k));
    expect(stale, 'entries naming no route').toEqual([]);
  });

  it('answers A’s calls with B’s ids exactly as with random ids, on every route that takes an id', async () => {
    const fixedUuid = randomUUID();
    const differences: string[] = [];
    let notFound = 0;
    let total = 0;
    const ordered = routes.filter((r) => params(r.url).length && !params(r.url).some((p) => PUBLIC_BY_DESIGN[p.prefix])).flatMap((r) => methods(r).map((m) => ({ route: r, method: m })))
      // Deletions last, so that nothing of B's a broken route might remove is missing for the routes after it.
      .sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'));
    for (const { route, method } of ordered) {
      const ps = params(route.url);
      if (ps.every((p) => NOT_AN_OBJECT[p.prefix])) continue;
      const fill = (value: (kind: Kind, name: string) => string) => ps.reduce((url, p) => url.replace(`:${p.name}`, NOT_AN_OBJECT[p.prefix] ? (p.name === 'kind' ? 'data-handling' : p.name) : encodeURIComponent(value(PARAM_KIND[p.prefix]!, p.name))), route.url);
      const randoms = new Map<string, string>();
      const random = (kind: Kind, name: string) => {
        const key = `${kind}:${name}`;
        if (!randoms.has(key)) randoms.set(key, kind === 'auditEntry' ? String(900_000_000 + randomInt(1000)) : kind === 'kbArticleSlug' ? `no-such-article-${randomUUID().slice(0, 8)}` : randomUUID());
        return randoms.get(key)!;
      };
      const words = [`w${randomUUID().slice(0, 7)}`, `w${randomUUID().slice(0, 7)}`];
      const bodyOf = (word: string) => (method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(minimal(route.schema?.body as Schema | undefined, fixedUuid, word) ?? {}));
      const headers = { ...callerFor(route), ...(method !== 'GET' && method !== 'DELETE' && !route.url.startsWith('/scim/v2') ? { 'content-type': 'application/json' } : {}) };
      const query = config(route).public && !config(route).portalSession && (route.schema?.querystring as Schema | undefined)?.properties?.organizationId ? `?organizationId=${a.org.orgId}` : '';
      const withB = await app.inject({ method: method as 'GET', url: fill((kind) => b.objects[kind].id) + query, headers, payload: bodyOf(words[0]!) });
      const withRandom = await app.inject({ method: method as 'GET', url: fill(random) + query, headers, payload: bodyOf(words[1]!) });
      total++;
      if (withRandom.statusCode === 404) notFound++;
      const blank = (text: string, ids: string[]) => [...ids, ...words].reduce((t, id) => t.split(id).join('<id>').split(encodeURIComponent(id)).join('<id>'), normalise(text));
      const seenB = `${withB.statusCode} ${blank(withB.body, ps.map((p) => (NOT_AN_OBJECT[p.prefix] ? '' : b.objects[PARAM_KIND[p.prefix]!].id)).filter(Boolean))}`;
      const seenRandom = `${withRandom.statusCode} ${blank(withRandom.body, [...randoms.values()])}`;
      if (seenB !== seenRandom) differences.push(`${method} ${route.url}\n    B's ids:    ${seenB.slice(0, 300)}\n    random ids: ${seenRandom.slice(0, 300)}`);
      else if (b.marker && withB.body.includes(b.marker)) differences.push(`${method} ${route.url}: B's marker in the answer`);
    }
    expect(differences, differences.join('\n')).toEqual([]);
    // The sweep reached the look-up, not only validation: most random ids are "not found".
    expect(total).toBeGreaterThan(140);
    expect(notFound / total, `${notFound} of ${total} calls with random ids answered 404`).toBeGreaterThan(0.75);
  }, 180_000);

  it('answers A’s writes and filters naming B’s objects in the body or query exactly as with random ids', async () => {
    const fixedUuid = randomUUID();
    const differences: string[] = [];
    const unmapped: string[] = [];
    let total = 0;
    // Path ids are A's own objects; a person is another of A's staff than the caller, so the caller keeps its session.
    const own = (kind: Kind) => (kind === 'user' ? a.objects.scimUser.id : a.objects[kind].id);
    for (const route of routes) {
      const ps = params(route.url);
      if (ps.some((p) => PUBLIC_BY_DESIGN[p.prefix])) continue;
      for (const method of methods(route)) {
        const schema = (method === 'GET' ? route.schema?.querystring : route.schema?.body) as Schema | undefined;
        const fields = idPaths(schema).filter((path) => !NOT_A_REFERENCE[fieldName(path)]);
        if (!fields.length) continue;
        for (const path of fields) if (!REFERENCE_KIND[fieldName(path)]) unmapped.push(`${method} ${route.url} ${path}`);
        if (fields.some((path) => !REFERENCE_KIND[fieldName(path)])) continue;
        const url = ps.reduce((u, p) => u.replace(`:${p.name}`, NOT_AN_OBJECT[p.prefix] ? (p.name === 'kind' ? 'data-handling' : p.name) : encodeURIComponent(own(PARAM_KIND[p.prefix]!))), route.url);
        const randoms = new Map<string, string>();
        const ofB = (path: string) => (NOT_A_REFERENCE[fieldName(path)] ? fixedUuid : b.objects[REFERENCE_KIND[fieldName(path)]!].id);
        const random = (path: string) => {
          if (NOT_A_REFERENCE[fieldName(path)]) return fixedUuid;
          if (!randoms.has(path)) randoms.set(path, randomUUID());
          return randoms.get(path)!;
        };
        const words: string[] = [];
        const call = (pick: (path: string) => string) => {
          const word = `w${randomUUID().slice(0, 7)}`;
          words.push(word);
          const value = referencing(schema, pick, fixedUuid, word) as Record<string, Json>;
          if (method === 'GET') {
            const q = new URLSearchParams(Object.entries(value).map(([k, v]) => [k, String(v)]));
            return app.inject({ method: 'GET', url: `${url}?${q}`, headers: callerFor(route) });
          }
          return app.inject({ method: method as 'POST', url, headers: { ...callerFor(route), 'content-type': 'application/json' }, payload: JSON.stringify(value) });
        };
        const withB = await call(ofB);
        const withRandom = await call(random);
        total++;
        const bUsed = fields.map(ofB);
        const blank = (text: string, ids: string[]) => [...ids, ...words].reduce((t, id) => t.split(id).join('<id>'), normalise(text));
        const seenB = `${withB.statusCode} ${blank(withB.body, bUsed)}`;
        const seenRandom = `${withRandom.statusCode} ${blank(withRandom.body, [...randoms.values()])}`;
        // A write that names another organisation's object is refused, whatever else it says: accepting it would store
        // a reference across organisations (as macros and the retention policy did before this matrix).
        if (method !== 'GET' && withB.statusCode < 400) differences.push(`${method} ${route.url} (${fields.join(', ')}): accepted B's ids with ${withB.statusCode} ${withB.body.slice(0, 200)}`);
        else if (seenB !== seenRandom) differences.push(`${method} ${route.url} (${fields.join(', ')})\n    B's ids:    ${seenB.slice(0, 300)}\n    random ids: ${seenRandom.slice(0, 300)}`);
        else if (withB.body.includes(b.marker)) differences.push(`${method} ${route.url}: B's marker in the answer`);
      }
      // The sweep's own calls must not lock A's caller out, or the rest would compare two refusals.
      const me = await app.inject({ url: '/api/auth/me', headers: a.staff.headers });
      if (me.statusCode !== 200) throw new Error(`after ${route.url}, A's caller is refused: ${me.body.slice(0, 200)}`);
    }
    expect(unmapped, 'id fields of a kind this matrix does not know: map them in REFERENCE_KIND or say why in NOT_A_REFERENCE').toEqual([]);
    expect(differences, differences.join('\n')).toEqual([]);
    expect(total).toBeGreaterThan(40);
  }, 180_000);

});
