/**
 * Pure: stored staff and teams → SCIM resources (with a weak ETag over the
 * content, so meta.version changes exactly when what a provider sees changes),
 * SCIM input → what Trustdesk stores (validated), and the query parameters a
 * list takes (filter, sortBy/sortOrder, startIndex/count, attributes).
 */
import { createHash } from 'node:crypto';
import { GROUP_ATTRS, GROUP_SCHEMA, LIST_SCHEMA, MAX_PAGE, USER_ATTRS, USER_SCHEMA } from './attributes.js';
import { ScimError } from './errors.js';
import { getProp, matchesFilter, parseAttrPath, parseFilter, type Filter } from './filter.js';
import { coerce, type Resource } from './patch.js';

export interface StoredUser {
  id: string;
  email: string;
  name: string;
  status: 'invited' | 'active' | 'deactivated';
  createdAt: Date;
  userName: string | null;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  updatedAt: Date | null;
  groups: Array<{ id: string; name: string }>;
}

export interface StoredGroup {
  id: string;
  name: string;
  createdAt: Date;
  externalId: string | null;
  updatedAt: Date | null;
  members: Array<{ id: string; name: string }>;
}

export function etagOf(resource: Resource): string {
  const { meta: _meta, ...content } = resource;
  return `W/"${createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 22)}"`;
}

function withMeta(resource: Resource, meta: { resourceType: string; created: Date; lastModified: Date; location: string }): Resource {
  const out: Resource = { ...resource, meta: { resourceType: meta.resourceType, created: meta.created.toISOString(), lastModified: meta.lastModified.toISOString(), location: meta.location } };
  (out.meta as Resource).version = etagOf(out);
  return out;
}

export function presentUser(u: StoredUser, base: string): Resource {
  const name: Resource = { formatted: u.name };
  if (u.givenName) name.givenName = u.givenName;
  if (u.familyName) name.familyName = u.familyName;
  const resource: Resource = {
    schemas: [USER_SCHEMA],
    id: u.id,
    ...(u.externalId ? { externalId: u.externalId } : {}),
    userName: u.userName ?? u.email,
    name,
    displayName: u.displayName ?? u.name,
    emails: [{ value: u.email, type: 'work', primary: true }],
    active: u.status !== 'deactivated',
    groups: u.groups.map((g) => ({ value: g.id, display: g.name, $ref: `${base}/Groups/${g.id}` })),
  };
  return withMeta(resource, { resourceType: 'User', created: u.createdAt, lastModified: u.updatedAt ?? u.createdAt, location: `${base}/Users/${u.id}` });
}

export function presentGroup(g: StoredGroup, base: string): Resource {
  const resource: Resource = {
    schemas: [GROUP_SCHEMA],
    id: g.id,
    ...(g.externalId ? { externalId: g.externalId } : {}),
    displayName: g.name,
    members: g.members.map((m) => ({ value: m.id, display: m.name, $ref: `${base}/Users/${m.id}`, type: 'User' })),
  };
  return withMeta(resource, { resourceType: 'Group', created: g.createdAt, lastModified: g.updatedAt ?? g.createdAt, location: `${base}/Groups/${g.id}` });
}

export interface UserInput {
  userName: string;
  email: string;
  name: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  active: boolean;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,}$/;

function optionalString(resource: unknown, key: string, max: number, label = key): string | null {
  const v = getProp(resource, key.toLowerCase());
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new ScimError(400, 'invalidValue', `"${label}" is a string.`);
  if (v.length > max) throw new ScimError(400, 'invalidValue', `"${label}" is longer than ${max} characters.`);
  return v;
}

function requireSchema(body: unknown, schema: string): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ScimError(400, 'invalidSyntax', 'The body is a JSON object.');
  const schemas = getProp(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === schema.toLowerCase())) {
    throw new ScimError(400, 'invalidSyntax', `The body names the schema ${schema} in "schemas".`);
  }
}

/** A User resource (POST, PUT, or the result of a PATCH) → what is stored. Read-only attributes are ignored. */
export function userInputFrom(body: unknown): UserInput {
  requireSchema(body, USER_SCHEMA);
  const userName = optionalString(body, 'userName', 254);
  if (!userName) throw new ScimError(400, 'invalidValue', '"userName" is required.');
  const name = getProp(body, 'name');
  if (name !== undefined && name !== null && (typeof name !== 'object' || Array.isArray(name))) throw new ScimError(400, 'invalidValue', '"name" is an object.');
  const givenName = optionalString(name, 'givenName', 200, 'name.givenName');
  const familyName = optionalString(name, 'familyName', 200, 'name.familyName');
  const formatted = optionalString(name, 'formatted', 200, 'name.formatted');
  const displayName = optionalString(body, 'displayName', 200);
  const emails = getProp(body, 'emails');
  if (emails !== undefined && emails !== null && !Array.isArray(emails)) throw new ScimError(400, 'invalidValue', '"emails" is a list.');
  const list = (emails ?? []) as unknown[];
  const primary = list.find((e) => getProp(e, 'primary') === true || getProp(e, 'primary') === 'true') ?? list[0];
  const address = (primary === undefined ? userName : optionalString(primary, 'value', 254, 'emails.value') ?? userName).trim().toLowerCase();
  if (!EMAIL.test(address)) throw new ScimError(400, 'invalidValue', 'The sign-in address (the primary email, else userName) is not an email address.');
  const activeRaw = getProp(body, 'active');
  const active = activeRaw === undefined || activeRaw === null ? true : (coerce(activeRaw, USER_ATTRS.active!) as boolean);
  const composed = [givenName, familyName].filter(Boolean).join(' ');
  return {
    userName,
    email: address,
    name: (displayName ?? formatted ?? (composed || userName)).slice(0, 200),
    externalId: optionalString(body, 'externalId', 500),
    givenName,
    familyName,
    displayName,
    active,
  };
}

export interface GroupInput {
  displayName: string;
  externalId: string | null;
  memberIds: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function groupInputFrom(body: unknown): GroupInput {
  requireSchema(body, GROUP_SCHEMA);
  const displayName = optionalString(body, 'displayName', 100);
  if (!displayName || !displayName.trim()) throw new ScimError(400, 'invalidValue', '"displayName" is required.');
  const members = getProp(body, 'members');
  if (members !== undefined && members !== null && !Array.isArray(members)) throw new ScimError(400, 'invalidValue', '"members" is a list.');
  const ids = new Set<string>();
  for (const m of (members ?? []) as unknown[]) {
    const v = getProp(m, 'value');
    // Another organisation's id, a group's id or nonsense: all the same "no such user" later; the shape is checked here.
    if (typeof v !== 'string' || !UUID.test(v)) throw new ScimError(400, 'invalidValue', 'A member\'s "value" is the id of a user.');
    ids.add(v.toLowerCase());
  }
  if (ids.size > 10_000) throw new ScimError(400, 'tooMany', 'At most 10,000 members.');
  return { displayName: displayName.trim(), externalId: optionalString(body, 'externalId', 500), memberIds: [...ids] };
}

export interface ListQuery {
  filter: Filter | null;
  sortBy: string[] | null;
  descending: boolean;
  startIndex: number;
  count: number;
  attributes: string[] | null;
  excludedAttributes: string[] | null;
}

/** RFC 7644 §3.4.2: startIndex below 1 is 1; count below 0 is 0 and above the maximum is the maximum. */
export function parseListQuery(q: Record<string, unknown>, kind: 'User' | 'Group'): ListQuery {
  const attrs = kind === 'User' ? USER_ATTRS : GROUP_ATTRS;
  const one = (key: string): string | undefined => {
    const v = getProp(q, key.toLowerCase());
    return Array.isArray(v) ? (v[0] as string | undefined) : (v as string | undefined);
  };
  const int = (key: string, fallback: number): number => {
    const raw = one(key);
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d{1,9}$/.test(raw)) throw new ScimError(400, 'invalidValue', `"${key}" is an integer.`);
    return Number(raw);
  };
  const names = (key: string): string[] | null => {
    const raw = one(key);
    if (!raw) return null;
    return raw.split(',').map((s) => {
      const path = parseAttrPath(s.trim());
      if (!attrs[path[0]!]) throw new ScimError(400, 'invalidValue', `"${s.trim().slice(0, 60)}" is not an attribute.`);
      return path[0]!;
    });
  };
  const filterText = one('filter');
  const sortBy = one('sortBy');
  const sortOrder = (one('sortOrder') ?? 'ascending').toLowerCase();
  if (sortOrder !== 'ascending' && sortOrder !== 'descending') throw new ScimError(400, 'invalidValue', '"sortOrder" is ascending or descending.');
  return {
    filter: filterText ? parseFilter(filterText) : null,
    sortBy: sortBy ? parseAttrPath(sortBy) : null,
    descending: sortOrder === 'descending',
    startIndex: Math.max(1, int('startIndex', 1)),
    count: Math.min(MAX_PAGE, Math.max(0, int('count', MAX_PAGE))),
    attributes: names('attributes'),
    excludedAttributes: names('excludedAttributes'),
  };
}

/** `attributes` keeps only the named ones (and those always returned); `excludedAttributes` drops the named ones. */
export function project(resource: Resource, q: Pick<ListQuery, 'attributes' | 'excludedAttributes'>): Resource {
  const always = new Set(['schemas', 'id', 'meta']);
  if (q.attributes) {
    const keep = new Set(q.attributes);
    return Object.fromEntries(Object.entries(resource).filter(([k]) => always.has(k) || keep.has(k.toLowerCase())));
  }
  if (q.excludedAttributes) {
    const drop = new Set(q.excludedAttributes);
    return Object.fromEntries(Object.entries(resource).filter(([k]) => always.has(k) || !drop.has(k.toLowerCase())));
  }
  return resource;
}

function sortKey(resource: Resource, path: string[]): string {
  let v: unknown = resource;
  for (const seg of path) {
    v = getProp(Array.isArray(v) ? (v.find((x) => getProp(x, 'primary') === true) ?? v[0]) : v, seg);
  }
  if (Array.isArray(v)) v = getProp(v.find((x) => getProp(x, 'primary') === true) ?? v[0], 'value');
  return typeof v === 'string' ? v.toLowerCase() : v === undefined || v === null ? '' : String(v);
}

/** Filter, sort (stable, by id after the key), page: a ListResponse. */
export function listResponse(resources: Resource[], q: ListQuery): Resource {
  let matched = q.filter ? resources.filter((r) => matchesFilter(r, q.filter!)) : resources;
  const sortBy = q.sortBy;
  matched = [...matched].sort((a, b) => {
    const ka = sortBy ? sortKey(a, sortBy) : '';
    const kb = sortBy ? sortKey(b, sortBy) : '';
    const c = ka < kb ? -1 : ka > kb ? 1 : String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0;
    return q.descending && sortBy ? -c : c;
  });
  const page = matched.slice(q.startIndex - 1, q.startIndex - 1 + q.count);
  return { schemas: [LIST_SCHEMA], totalResults: matched.length, startIndex: q.startIndex, itemsPerPage: page.length, Resources: page.map((r) => project(r, q)) };
}
