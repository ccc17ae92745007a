/**
 * SCIM conformance, written from RFC 7643 (schemas) and RFC 7644 (protocol) since no published suite installs
 * here: every MUST Trustdesk implements — discovery, the User and Group resources and their meta, filtering
 * (§3.4.2.2), sorting (§3.4.2.3), pagination (§3.4.2.4), attribute projection (§3.4.2.5), POST (§3.3), PUT
 * (§3.5.1), PATCH (§3.5.2: add/replace/remove, with and without paths, value filters), DELETE (§3.6), versions
 * (§3.14: ETag, If-Match → 412, If-None-Match → 304) and errors (§3.12: status, scimType, media type).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildScimApp, buildScimOrg, scimClient, type ScimAnswer, type ScimOrg } from './testing.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

describe('SCIM 2.0 conformance (RFC 7643/7644)', () => {
  let services: Services;
  let app: FastifyInstance;
  let org: ScimOrg;
  let scim: ReturnType<typeof scimClient>;
  const people: Record<string, string> = {};

  const expectError = (res: ScimAnswer, status: number, scimType?: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body.schemas).toEqual([ERROR]);
    expect(res.body.status).toBe(String(status));
    if (scimType) expect(res.body.scimType).toBe(scimType);
    expect(typeof res.body.detail).toBe('string');
  };
  const user = (userName: string, extra: Record<string, unknown> = {}) => ({ schemas: [USER], userName, name: { givenName: 'Given', familyName: 'Family' }, emails: [{ value: userName, type: 'work', primary: true }], active: true, ...extra });
  const names = (res: ScimAnswer) => (res.body.Resources ?? []).map((r) => r.userName);

  beforeAll(async () => {
    services = await createTestServices(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
    app = await buildScimApp(services);
    org = await buildScimOrg(services);
    scim = scimClient(app, org.token);
    for (const [key, userName, externalId, displayName] of [
      ['ada', 'ada.lovelace@conf.example', 'ext-Ada', 'Ada Lovelace'],
      ['alan', 'alan.turing@conf.example', 'ext-alan', 'Alan Turing'],
      ['grace', 'grace.hopper@navy.example', 'ext-grace', 'Grace Hopper'],
      ['edsger', 'edsger@conf.example', null, 'Edsger Dijkstra'],
      ['barbara', 'barbara.liskov@mit.example', 'ext-barbara', 'Barbara Liskov'],
    ] as const) {
      const res = await scim('POST', '/Users', user(userName, { displayName, ...(externalId ? { externalId } : {}) }));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      people[key] = res.body.id as string;
    }
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('discovery: ServiceProviderConfig, ResourceTypes and Schemas (§4)', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, etag: { supported: true }, sort: { supported: true }, bulk: { supported: false }, changePassword: { supported: false } });
    expect((config.body.authenticationSchemes as unknown[]).length).toBeGreaterThan(0);
    const types = await scim('GET', '/ResourceTypes');
    expect(types.body.schemas).toEqual([LIST]);
    expect(types.body.Resources!.map((r) => [r.id, r.endpoint, r.schema])).toEqual([['User', '/Users', USER], ['Group', '/Groups', GROUP]]);
    expect((await scim('GET', '/ResourceTypes/Group')).body.endpoint).toBe('/Groups');
    const schemas = await scim('GET', '/Schemas');
    expect(schemas.body.totalResults).toBe(2);
    const userSchema = await scim('GET', `/Schemas/${USER}`);
    const attrs = userSchema.body.attributes as Array<{ name: string; required: boolean; uniqueness: string; mutability: string }>;
    expect(attrs.find((a) => a.name === 'userName')).toMatchObject({ required: true, uniqueness: 'server' });
    expect(attrs.find((a) => a.name === 'groups')?.mutability).toBe('readOnly');
    // Nothing Trustdesk does not keep is advertised.
    expect(attrs.map((a) => a.name)).not.toContain('phoneNumbers');
    expectError(await scim('GET', '/Schemas/urn:nope'), 404);
    expectError(await scim('GET', '/Bulk'), 404);
  });

  it('POST /Users: 201, Location, ETag = meta.version, the core attributes and meta (§3.3, RFC 7643 §3.1)', async () => {
    const res = await scim('POST', '/Users', user('Katherine.Johnson@conf.example', { externalId: 'ext-kj', displayName: 'Katherine Johnson', title: 'Not kept', phoneNumbers: [{ value: '+1 555 0100', type: 'work' }] }));
    expect(res.status).toBe(201);
    const meta = res.body.meta as Record<string, string>;
    expect(res.headers.location).toBe(meta.location!);
    expect(meta.location!).toMatch(new RegExp(`/scim/v2/Users/${res.body.id as string}$`));
    expect(res.headers.etag).toBe(meta.version);
    expect(meta.version).toMatch(/^W\/".+"$/);
    expect(meta.resourceType).toBe('User');
    expect(Date.parse(meta.created!)).not.toBeNaN();
    expect(Date.parse(meta.lastModified!)).not.toBeNaN();
    expect(res.body).toMatchObject({ schemas: [USER], userName: 'Katherine.Johnson@conf.example', externalId: 'ext-kj', displayName: 'Katherine Johnson', active: true, name: { givenName: 'Given', familyName: 'Family' }, emails: [{ value: 'katherine.johnson@conf.example', primary: true }], groups: [] });
    expect(res.body).not.toHaveProperty('title');
    expect(res.body).not.toHaveProperty('phoneNumbers');
    const read = await scim('GET', `/Users/${res.body.id as string}`);
    expect(read.body).toEqual(res.body);
    // The media type with parameters, and plain application/json, are both read.
    const withCharset = await scim('POST', '/Users', user('charset@conf.example'), { 'content-type': 'application/scim+json; charset=utf-8' });
    expect(withCharset.status, JSON.stringify(withCharset.body)).toBe(201);
    const plainJson = await scim('POST', '/Users', user('plain.json@conf.example'), { 'content-type': 'application/json' });
    expect(plainJson.status).toBe(201);
  });

  it('two creations racing for one userName: one 201, one 409 uniqueness, never a 5xx', async () => {
    const [a, b] = await Promise.all([scim('POST', '/Users', user('racer@conf.example')), scim('POST', '/Users', user('RACER@conf.example'))]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect((a.status === 409 ? a : b).body.scimType).toBe('uniqueness');
  });

  it('POST refuses what the schema forbids: no schemas, no userName, not an address, taken userName (any case) or externalId (§3.3, §3.12)', async () => {
    expectError(await scim('POST', '/Users', { userName: 'x@conf.example' }), 400, 'invalidSyntax');
    expectError(await scim('POST', '/Users', { schemas: [USER], name: { givenName: 'No' } }), 400, 'invalidValue');
    expectError(await scim('POST', '/Users', { schemas: [USER], userName: 'not-an-address' }), 400, 'invalidValue');
    expectError(await scim('POST', '/Users', user('ADA.LOVELACE@conf.example')), 409, 'uniqueness');
    expectError(await scim('POST', '/Users', user('someone.new@conf.example', { externalId: 'ext-alan' })), 409, 'uniqueness');
    expectError(await scim('POST', '/Users', user('bad.active@conf.example', { active: 'maybe' })), 400, 'invalidValue');
    expectError(await scim('POST', '/Users', '{"schemas": ['), 400, 'invalidSyntax');
    expectError(await scim('POST', '/Users', '[1, 2]'), 400, 'invalidSyntax');
  });

  it('GET an unknown or malformed id: 404 as a SCIM error', async () => {
    expectError(await scim('GET', '/Users/00000000-0000-4000-8000-000000000000'), 404);
    expectError(await scim('GET', '/Users/not-a-uuid'), 404);
    expectError(await scim('GET', '/Groups/00000000-0000-4000-8000-000000000000'), 404);
  });

  it('filters: eq co sw ew pr, and/or/not, grouping, value paths; userName case-insensitive, externalId case-exact (§3.4.2.2)', async () => {
    const q = async (filter: string) => {
      const res = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status, `${filter} ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.schemas).toEqual([LIST]);
      return (names(res) as string[]).sort();
    };
    expect(await q('userName eq "ADA.lovelace@conf.example"')).toEqual(['ada.lovelace@conf.example']);
    expect(await q('externalId eq "ext-Ada"')).toEqual(['ada.lovelace@conf.example']);
    expect(await q('externalId eq "ext-ada"')).toEqual([]);
    expect(await q('userName sw "a"')).toEqual(['ada.lovelace@conf.example', 'alan.turing@conf.example']);
    expect(await q('userName co "NAVY"')).toEqual(['grace.hopper@navy.example']);
    expect(await q('userName ew "@mit.example"')).toEqual(['barbara.liskov@mit.example']);
    expect(await q('emails.value eq "edsger@conf.example"')).toEqual(['edsger@conf.example']);
    expect(await q('emails[type eq "work" and value co "hopper"]')).toEqual(['grace.hopper@navy.example']);
    expect(await q('displayName eq "Alan Turing"')).toEqual(['alan.turing@conf.example']);
    expect(await q('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "edsger@conf.example"')).toEqual(['edsger@conf.example']);
    expect(await q('userName sw "a" and displayName co "Turing"')).toEqual(['alan.turing@conf.example']);
    expect(await q('userName ew "navy.example" or userName ew "mit.example"')).toEqual(['barbara.liskov@mit.example', 'grace.hopper@navy.example']);
    expect(await q('(userName sw "a" or userName sw "g") and not (displayName co "Ada")')).toEqual(['alan.turing@conf.example', 'grace.hopper@navy.example']);
    expect((await q('externalId pr')).length).toBeGreaterThanOrEqual(4);
    expect(await q('externalId pr')).not.toContain('edsger@conf.example');
    expect(await q('active eq true and userName sw "edsger"')).toEqual(['edsger@conf.example']);
    expect(await q('meta.lastModified gt "2000-01-01T00:00:00Z" and userName eq "edsger@conf.example"')).toEqual(['edsger@conf.example']);
    for (const bad of ['userName eq', 'userName xx "a"', 'userName eq "unclosed', '(userName eq "a"', 'userName eq "a" junk', 'userName eq unquoted', 'active gt true', '']) {
      const res = await scim('GET', `/Users?filter=${encodeURIComponent(bad)}`);
      if (bad === '') expect(res.status).toBe(200);
      else expectError(res, 400, 'invalidFilter');
    }
  });

  it('pagination: startIndex is 1-based, count bounds the page, totalResults counts all (§3.4.2.4)', async () => {
    const all = await scim('GET', '/Users?filter=userName%20co%20%22%40%22');
    const total = all.body.totalResults as number;
    expect(total).toBeGreaterThanOrEqual(6);
    const page1 = await scim('GET', '/Users?startIndex=1&count=2&sortBy=userName');
    const page2 = await scim('GET', '/Users?startIndex=3&count=2&sortBy=userName');
    expect(page1.body).toMatchObject({ totalResults: total, startIndex: 1, itemsPerPage: 2 });
    expect(page2.body).toMatchObject({ totalResults: total, startIndex: 3, itemsPerPage: 2 });
    expect(new Set([...names(page1), ...names(page2)]).size).toBe(4);
    const none = await scim('GET', '/Users?count=0');
    expect(none.body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
    // Below 1 is 1; past the end is an empty page.
    expect((await scim('GET', '/Users?startIndex=0&count=1')).body.startIndex).toBe(1);
    expect((await scim('GET', `/Users?startIndex=${total + 5}`)).body).toMatchObject({ totalResults: total, itemsPerPage: 0 });
    expectError(await scim('GET', '/Users?count=lots'), 400, 'invalidValue');
  });

  it('sorting by userName ascending and descending (§3.4.2.3)', async () => {
    const asc = names(await scim('GET', '/Users?sortBy=userName&sortOrder=ascending')) as string[];
    const desc = names(await scim('GET', '/Users?sortBy=userName&sortOrder=descending')) as string[];
    expect(asc).toEqual([...asc].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(desc).toEqual([...asc].reverse());
    expectError(await scim('GET', '/Users?sortBy=userName&sortOrder=sideways'), 400, 'invalidValue');
  });

  it('attributes and excludedAttributes; id, schemas and meta are always returned (§3.4.2.5, §3.9)', async () => {
    const only = await scim('GET', `/Users/${people.ada!}?attributes=userName`);
    expect(Object.keys(only.body).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
    const without = await scim('GET', `/Users?filter=userName%20eq%20%22ada.lovelace%40conf.example%22&excludedAttributes=emails,groups`);
    expect(without.body.Resources![0]).not.toHaveProperty('emails');
    expect(without.body.Resources![0]).toHaveProperty('userName');
  });

  it('PUT replaces the resource; read-only attributes sent are ignored (§3.5.1)', async () => {
    const before = await scim('GET', `/Users/${people.edsger!}`);
    const res = await scim('PUT', `/Users/${people.edsger!}`, { schemas: [USER], id: 'ignored', userName: 'edsger@conf.example', externalId: 'ext-edsger', name: { givenName: 'Edsger', familyName: 'Dijkstra' }, displayName: 'E. W. Dijkstra', active: true, groups: [{ value: 'nope' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: people.edsger, externalId: 'ext-edsger', displayName: 'E. W. Dijkstra', groups: [] });
    expect((res.body.meta as { version: string }).version).not.toBe((before.body.meta as { version: string }).version);
    expectError(await scim('PUT', `/Users/${people.edsger!}`, { schemas: [USER] }), 400, 'invalidValue');
  });

  it('versions: ETag, If-None-Match → 304, stale If-Match → 412 and nothing changes (§3.14)', async () => {
    const current = await scim('GET', `/Users/${people.alan!}`);
    const etag = current.headers.etag as string;
    expect((await scim('GET', `/Users/${people.alan!}`, undefined, { 'if-none-match': etag })).status).toBe(304);
    const ok = await scim('PATCH', `/Users/${people.alan!}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'A. M. Turing' }] }, { 'if-match': etag });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).not.toBe(etag);
    const stale = await scim('PATCH', `/Users/${people.alan!}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Lost update' }] }, { 'if-match': etag });
    expectError(stale, 412);
    expectError(await scim('PUT', `/Users/${people.alan!}`, user('alan.turing@conf.example'), { 'if-match': etag }), 412);
    expectError(await scim('DELETE', `/Users/${people.alan!}`, undefined, { 'if-match': etag }), 412);
    expect((await scim('GET', `/Users/${people.alan!}`)).body.displayName).toBe('A. M. Turing');
    expect((await scim('PATCH', `/Users/${people.alan!}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Alan Turing' }] }, { 'if-match': '*' })).status).toBe(200);
  });

  it('PATCH: replace/add/remove with paths, without a path, on sub-attributes and value filters (§3.5.2)', async () => {
    const id = people.grace!;
    const patch = (Operations: unknown[]) => scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations });
    let res = await patch([{ op: 'replace', path: 'name.givenName', value: 'Grace Brewster' }]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.name).toMatchObject({ givenName: 'Grace Brewster', familyName: 'Family' });
    res = await patch([{ op: 'add', value: { displayName: 'Amazing Grace', 'name.familyName': 'Hopper' } }]);
    expect(res.body).toMatchObject({ displayName: 'Amazing Grace', name: { familyName: 'Hopper' } });
    res = await patch([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'grace@navy.example' }]);
    expect(res.body.emails).toEqual([{ value: 'grace@navy.example', type: 'work', primary: true }]);
    res = await patch([{ op: 'remove', path: 'externalId' }]);
    expect(res.body).not.toHaveProperty('externalId');
    res = await patch([{ op: 'add', path: 'externalId', value: 'ext-grace' }, { op: 'Replace', path: 'userName', value: 'grace.hopper@navy.example' }]);
    expect(res.body).toMatchObject({ externalId: 'ext-grace', userName: 'grace.hopper@navy.example' });
    // Attributes of the core schema Trustdesk does not keep, and the enterprise extension: accepted, not kept.
    res = await patch([{ op: 'replace', path: 'title', value: 'Rear admiral' }, { op: 'add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Navy' }]);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain('admiral');
  });

  it('PATCH errors: unknown path, read-only attribute, bad op, no path on remove, no schema; the whole request or nothing', async () => {
    const id = people.barbara!;
    const before = await scim('GET', `/Users/${id}`);
    const patch = (body: unknown) => scim('PATCH', `/Users/${id}`, body);
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'replace', path: 'favouriteColour', value: 'red' }] }), 400, 'invalidPath');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.nickname', value: 'x' }] }), 400, 'invalidPath');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }] }), 400, 'invalidPath');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'add', path: 'groups', value: [{ value: 'x' }] }] }), 400, 'mutability');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'id', value: 'x' }] }), 400, 'mutability');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'move', path: 'displayName', value: 'x' }] }), 400, 'invalidSyntax');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'remove' }] }), 400, 'noTarget');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "home" or type eq "other"].value', value: 'x@y.example' }] }), 400, 'noTarget');
    expectError(await patch({ Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] }), 400, 'invalidSyntax');
    expectError(await patch({ schemas: [PATCH], Operations: [] }), 400, 'invalidSyntax');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'remove', path: 'userName' }] }), 400, 'invalidValue');
    expectError(await patch({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: 'perhaps' }] }), 400, 'invalidValue');
    const after = await scim('GET', `/Users/${id}`);
    expect(after.body).toEqual(before.body);
  });

  it('Groups: create with members, read, PATCH add/remove members (value filter) and rename, PUT, the users’ groups follow, DELETE (§3.3–3.6)', async () => {
    const created = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Conformance', externalId: 'g-1', members: [{ value: people.ada }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const gid = created.body.id as string;
    expect(created.body).toMatchObject({ schemas: [GROUP], displayName: 'Conformance', externalId: 'g-1', members: [{ value: people.ada, type: 'User' }] });
    expect(created.headers.etag).toBe((created.body.meta as { version: string }).version);
    expectError(await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'conformance' }), 409, 'uniqueness');
    expectError(await scim('POST', '/Groups', { schemas: [GROUP] }), 400, 'invalidValue');
    const patch = (Operations: unknown[]) => scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations });
    let res = await patch([{ op: 'add', path: 'members', value: [{ value: people.alan }, { value: people.barbara }] }]);
    expect((res.body.members as Array<{ value: string }>).map((m) => m.value).sort()).toEqual([people.ada, people.alan, people.barbara].sort());
    expect(((await scim('GET', `/Users/${people.alan!}`)).body.groups as Array<{ value: string; display: string }>)).toEqual([expect.objectContaining({ value: gid, display: 'Conformance' })]);
    res = await patch([{ op: 'remove', path: `members[value eq "${people.ada!}"]` }]);
    expect((res.body.members as Array<{ value: string }>).map((m) => m.value).sort()).toEqual([people.alan, people.barbara].sort());
    res = await patch([{ op: 'replace', path: 'displayName', value: 'Renamed' }]);
    expect(res.body.displayName).toBe('Renamed');
    expect(((await scim('GET', `/Users/${people.alan!}`)).body.groups as Array<{ display: string }>)[0]!.display).toBe('Renamed');
    expectError(await patch([{ op: 'add', path: 'members', value: [{ value: 'not-an-id' }] }]), 400, 'invalidValue');
    expectError(await patch([{ op: 'add', path: 'owners', value: [] }]), 400, 'invalidPath');
    const filtered = await scim('GET', '/Groups?filter=displayName%20eq%20%22renamed%22&excludedAttributes=members');
    expect(filtered.body.totalResults).toBe(1);
    expect(filtered.body.Resources![0]).not.toHaveProperty('members');
    res = await scim('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'Renamed', members: [{ value: people.edsger }] });
    expect((res.body.members as Array<{ value: string }>).map((m) => m.value)).toEqual([people.edsger]);
    expect((await scim('GET', `/Users/${people.alan!}`)).body.groups).toEqual([]);
    expect((await scim('DELETE', `/Groups/${gid}`)).status).toBe(204);
    expectError(await scim('GET', `/Groups/${gid}`), 404);
    expectError(await scim('DELETE', `/Groups/${gid}`), 404);
    expect((await scim('GET', `/Users/${people.edsger!}`)).body.groups).toEqual([]);
  });

  it('DELETE /Users: 204, then 404 to GET, PATCH and DELETE; the person stays, deactivated, for the record (§3.6)', async () => {
    const made = await scim('POST', '/Users', user('leaver@conf.example'));
    const id = made.body.id as string;
    const del = await scim('DELETE', `/Users/${id}`);
    expect(del.status).toBe(204);
    expectError(await scim('GET', `/Users/${id}`), 404);
    expectError(await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] }), 404);
    expectError(await scim('DELETE', `/Users/${id}`), 404);
    expect((await scim('GET', '/Users?filter=userName%20eq%20%22leaver%40conf.example%22')).body.totalResults).toBe(0);
    const row = await services.database.db.selectFrom('users').where('id', '=', id).select(['status']).executeTakeFirstOrThrow();
    expect(row.status).toBe('deactivated');
    // Provisioned again: the same person comes back.
    const again = await scim('POST', '/Users', user('leaver@conf.example'));
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id, active: true });
  });
});
