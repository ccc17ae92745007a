/**
 * The request sequences Microsoft Entra ID and Okta document for user and group provisioning, request body by
 * request body (Entra: "Develop and plan provisioning for a SCIM endpoint", its user and group operations; Okta:
 * "SCIM 2.0 protocol reference", users then Group Push), including their departures from RFC 7644: Entra's
 * capitalised operations, "False" as a string, `$ref: null` members and member removal by a value list;
 * Okta's path-less replace of `{active:false}` and of `{id, displayName}`, and `members[value eq "…"]`.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildScimApp, buildScimOrg, scimClient, type ScimOrg } from './testing.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const q = (filter: string, extra = '') => `?${extra}filter=${encodeURIComponent(filter)}`;

describe('identity providers’ documented SCIM sequences', () => {
  let services: Services;
  let app: FastifyInstance;
  let org: ScimOrg;
  let scim: ReturnType<typeof scimClient>;

  beforeAll(async () => {
    services = await createTestServices(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
    app = await buildScimApp(services);
    org = await buildScimOrg(services);
    scim = scimClient(app, org.token);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('Microsoft Entra ID: user operations, create → get → query → update → disable ("False") → delete', async () => {
    const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
    const zero = await scim('GET', `/Users${q(`userName eq "${userName}"`)}`);
    expect(zero.body).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName,
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Support', employeeNumber: '42' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ userName, externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef', active: true, name: { givenName: 'givenName', familyName: 'familyName', formatted: 'givenName familyName' } });
    expect((await scim('GET', `/Users/${id}`)).status).toBe(200);
    const byName = await scim('GET', `/Users${q(`userName eq "${userName}"`)}`);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources![0]!.id).toBe(id);
    expect((await scim('GET', `/Users${q('userName eq "non-existent user"')}`)).body.totalResults).toBe(0);
    // Entra also matches on externalId, and on the work address.
    expect((await scim('GET', `/Users${q('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`)).body.totalResults).toBe(1);

    const multi = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
      { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
    ] });
    expect(multi.status, JSON.stringify(multi.body)).toBe(200);
    expect(multi.body).toMatchObject({ emails: [{ value: 'updatedemail@microsoft.com', type: 'work' }], name: { familyName: 'updatedFamilyName' } });
    const single = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'userName', value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }] });
    expect(single.body.userName).toBe('5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
    // Entra's default mapping also sends attributes Trustdesk does not keep: accepted, not kept.
    const extras = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [
      { op: 'Add', path: 'title', value: 'Support engineer' },
      { op: 'Add', path: 'preferredLanguage', value: 'en-GB' },
      { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: 'someone' },
    ] });
    expect(extras.status, JSON.stringify(extras.body)).toBe(200);

    // Disable: Entra (without its aadOptscim062020 flag) sends the boolean as the string "False".
    const disabled = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);
    const again = await scim('GET', `/Users${q(`userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"`)}`);
    expect(again.body.Resources![0]!.active).toBe(false);
    // Re-assigned: enabled again with the same PATCH.
    expect((await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] })).body.active).toBe(true);
    expect((await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: false }] })).body.active).toBe(false);

    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scim('GET', `/Users/${id}`)).status).toBe(404);
  });

  it('Microsoft Entra ID: group operations, create → get (no members) → by displayName → rename → add and remove members → delete', async () => {
    const member = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'entra.member@testuser.com', active: true, emails: [{ primary: true, type: 'work', value: 'entra.member@testuser.com' }] });
    const memberId = member.body.id as string;
    const created = await scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
      meta: { resourceType: 'Group' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const gid = created.body.id as string;
    const got = await scim('GET', `/Groups/${gid}?excludedAttributes=members`);
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('members');
    const byName = await scim('GET', `/Groups${q('displayName eq "displayName"', 'excludedAttributes=members&')}`);
    expect(byName.body.totalResults).toBe(1);
    const renamed = await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' }] });
    expect(renamed.status).toBe(200);
    const added = await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: memberId }] }] });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect((added.body.members as Array<{ value: string }>).map((m) => m.value)).toEqual([memberId]);
    const removed = await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: memberId }] }] });
    expect(removed.status).toBe(200);
    expect(removed.body.members).toEqual([]);
    expect((await scim('DELETE', `/Groups/${gid}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${gid}`)).status).toBe(404);
  });

  it('Okta: test connection, look up, create, read, PUT, deactivate and reactivate with a path-less replace', async () => {
    const probe = await scim('GET', '/Users?startIndex=1&count=2');
    expect(probe.status).toBe(200);
    expect(probe.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    const lookup = await scim('GET', `/Users${q('userName eq "test.user@okta.local"')}&startIndex=1&count=100`);
    expect(lookup.body.totalResults).toBe(0);
    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(JSON.stringify(created.body)).not.toContain('1mz050nq');
    const row = await services.database.db.selectFrom('users').where('id', '=', id).select('password_hash').executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
    expect((await scim('GET', `/Users/${id}`)).body.displayName).toBe('Test User');
    // Profile updates: Okta sends the whole user back with PUT.
    const put = await scim('PUT', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id,
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Another User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      active: true,
      meta: { resourceType: 'User' },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ displayName: 'Another User', name: { givenName: 'Another' } });
    const off = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    const on = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(on.body.active).toBe(true);
    // A password change is accepted and not kept: staff sign in through the provider.
    expect((await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { password: 'x-new-password' } }] })).status).toBe(200);
  });

  it('Okta Group Push: create, list, read, rename with {id, displayName}, add members, remove one by members[value eq], PUT, delete', async () => {
    const a = (await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'push.a@okta.local', active: true })).body.id as string;
    const b = (await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'push.b@okta.local', active: true })).body.id as string;
    const created = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Test SCIMv2', members: [] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const gid = created.body.id as string;
    const list = await scim('GET', '/Groups?startIndex=1&count=100');
    expect(list.body.Resources!.map((g) => g.id)).toContain(gid);
    expect((await scim('GET', `/Groups/${gid}`)).body.displayName).toBe('Test SCIMv2');
    const renamed = await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Test SCIMv2 renamed' } }] });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.displayName).toBe('Test SCIMv2 renamed');
    const added = await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: a, display: 'push.a@okta.local' }, { value: b, display: 'push.b@okta.local' }] }] });
    expect((added.body.members as unknown[]).length).toBe(2);
    const removed = await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${a}"]` }] });
    expect((removed.body.members as Array<{ value: string }>).map((m) => m.value)).toEqual([b]);
    const put = await scim('PUT', `/Groups/${gid}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: gid, displayName: 'Test SCIMv2 renamed', members: [{ value: a, display: 'push.a@okta.local' }] });
    expect((put.body.members as Array<{ value: string }>).map((m) => m.value)).toEqual([a]);
    expect((await scim('DELETE', `/Groups/${gid}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${gid}`)).status).toBe(404);
  });
});
