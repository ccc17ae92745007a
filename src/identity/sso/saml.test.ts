/**
 * Staff single sign-on with SAML 2.0 (decision 0209), through the routes, against a provider in this test (keys made
 * at test time; saml-testing.ts builds its Responses). The administrator imports the provider's metadata (malformed
 * or expired: a clear problem, nothing saved) and exports Trustdesk's; a member signs in with a signed assertion, a
 * signed response, an encrypted assertion; the second-factor policy in both modes. Then the attacks: unsigned,
 * wrongly signed, signature wrapping, a replayed response and a replayed assertion, wrong audience, recipient,
 * destination and issuer, expired or not yet valid beyond the clock skew, an answer to another request or to none,
 * another browser, and an enormous body refused before it is read. On PostgreSQL too with TEST_DATABASE_URL, where
 * two instances on one database also show that a replay is refused by the instance that did not see the first use.
 */
import { inflateRawSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { EnvKeyProvider } from '../../protection/crypto/key-provider.js';
import { openServices } from '../../platform/app/services.js';
import { randomKekSpec, silentLogger, testConfig } from '../../platform/app/testing.js';
import { openDatabase } from '../../platform/db/database.js';
import { createTestDatabase, TEST_DATABASE_URL } from '../../platform/db/testing.js';
import { MemoryMailer } from '../../platform/notify/mailer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_OPERATOR } from '../organizations/lifecycle.js';
import { organizationUsage, setOrganizationLimits } from '../organizations/limits.js';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { dumpAllTables } from '../../platform/db/dump.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../auth/testing.js';
import { assertionXml, buildResponse, idpMetadata, newIdpKeys, signElement, wrapResponse, type ResponseInput, type TestIdpKeys } from './saml-testing.js';
import { SSO_COOKIE } from './sso.routes.js';

const IDP = 'https://idp.example.test/saml';
const SSO_URL = 'https://idp.example.test/sso';
const MFA = 'urn:example:ac:mfa';
const PHR = 'urn:example:ac:phishing-resistant';

describe('staff single sign-on (SAML 2.0)', () => {
  let services: Services;
  let app: FastifyInstance;
  let orgA: TestOrg;
  let admin: SignedIn;
  let keys: TestIdpKeys;
  let attacker: TestIdpKeys;
  let sp: { entityId: string; acsUrl: string; certificatePem: string };

  beforeAll(async () => {
    services = await createTestServices(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: appRoutes });
    keys = newIdpKeys('Test IdP');
    attacker = newIdpKeys('Test IdP');
    orgA = await buildOrg(services);
    admin = await signInAs(app, await buildUser(services, orgA, { roles: ['administrator'], email: 'root@saml-a.example' }), { mfa: 'webauthn' });
    await buildUser(services, orgA, { roles: ['agent'], email: 'alice@saml-a.example' });
    await buildUser(services, orgA, { roles: ['administrator'], email: 'ada@saml-a.example' });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const metadata = (over: { validUntil?: Date; certificatePem?: string } = {}) => idpMetadata({ entityId: IDP, ssoUrl: SSO_URL, certificatePem: over.certificatePem ?? keys.certificatePem, ...(over.validUntil ? { validUntil: over.validUntil } : {}) });
  const connection = (over: Record<string, unknown> = {}) => ({ enabled: true, displayName: 'Example SAML', idpMetadataXml: metadata(), emailDomains: ['saml-a.example'], trustProviderMfa: false, ...over });
  const save = (body: Record<string, unknown>, who: SignedIn = admin) => app.inject({ method: 'PUT', url: '/api/sso/connection/saml', headers: who.headers, payload: body });

  let flows = 0;
  const nextAddress = () => `10.8.${Math.floor(++flows / 250)}.${(flows % 250) + 1}`;

  /** Discovery at Trustdesk, as a browser: the AuthnRequest's ID (read from the redirect) and the binding cookie. */
  async function start(email = 'alice@saml-a.example'): Promise<{ requestId: string; binding: string }> {
    const res = await app.inject({ method: 'POST', url: '/api/auth/sso/discover', payload: { email }, remoteAddress: nextAddress() });
    expect(res.statusCode, res.body).toBe(200);
    const url = new URL((res.json() as { authorizationUrl: string }).authorizationUrl);
    expect(url.origin + url.pathname).toBe(SSO_URL);
    const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') as string, 'base64')).toString();
    const requestId = /ID="([^"]+)"/.exec(request)?.[1] as string;
    expect(request).toContain(`AssertionConsumerServiceURL="${sp.acsUrl}"`);
    return { requestId, binding: res.cookies.find((c) => c.name === SSO_COOKIE)?.value as string };
  }
  const post = (samlResponse: string, binding: string | null) =>
    app.inject({ method: 'POST', url: '/api/auth/sso/saml/acs', remoteAddress: nextAddress(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ SAMLResponse: samlResponse }).toString(), ...(binding ? { cookies: { [SSO_COOKIE]: binding } } : {}) });
  const base = (requestId: string, over: Partial<ResponseInput> = {}): ResponseInput => ({ idpEntityId: IDP, keys, audience: sp.entityId, acsUrl: sp.acsUrl, inResponseTo: requestId, email: 'alice@saml-a.example', ...over });
  async function signInWith(over: Partial<ResponseInput> = {}, email?: string) {
    const s = await start(email ?? over.email ?? 'alice@saml-a.example');
    return post(await buildResponse(base(s.requestId, over)), s.binding);
  }
  const lastSignIn = async () =>
    (await services.database.db.selectFrom('audit_log').where('action', '=', 'auth.signin').orderBy('seq', 'desc').select(['result', 'details', 'org_id']).executeTakeFirstOrThrow()) as { result: string; details: Record<string, unknown> };
  const refusedWith = async (res: Awaited<ReturnType<typeof post>>, reason: string, shown = 'failed') => {
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`/signin?sso=${shown}`);
    expect(res.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
    expect(await lastSignIn()).toMatchObject({ result: 'failure', details: { factor: 'sso', reason } });
  };
  async function mfaOf(res: Awaited<ReturnType<typeof post>>) {
    expect(res.headers.location, JSON.stringify(await lastSignIn())).toBe('/');
    const token = res.cookies.find((c) => c.name === SESSION_COOKIE)?.value as string;
    return ((await app.inject({ url: '/api/auth/me', cookies: { [SESSION_COOKIE]: token } })).json() as { mfa: { verified: boolean; method: string | null } }).mfa;
  }

  it('imports the provider’s metadata (administrators only); malformed or expired metadata is a clear problem and saves nothing', async () => {
    const agent = await signInAs(app, await buildUser(services, orgA, { roles: ['agent'] }));
    expect((await save(connection(), agent)).statusCode).toBe(403);
    const bad: Array<[string, string]> = [
      ['<EntityDescriptor', 'not well-formed'],
      ['<html><body>Sign in</body></html>', 'not SAML 2.0 metadata'],
      [metadata({ validUntil: new Date(Date.now() - 86_400_000) }), 'expired'],
      [metadata().replace(/<md:KeyDescriptor[\s\S]*?<\/md:KeyDescriptor>/, ''), 'no signing certificate'],
      [metadata().replace(/<ds:X509Certificate>[^<]+/, '<ds:X509Certificate>bm90IGEgY2VydGlmaWNhdGU='), 'cannot be read'],
      [metadata().replace(SSO_URL, 'http://idp.example.test/sso'), 'https://'],
      [`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${metadata().replace('<?xml version="1.0"?>', '')}`, 'document type'],
      [metadata().replace('HTTP-Redirect', 'HTTP-Artifact'), 'HTTP-Redirect'],
    ];
    for (const [xml, says] of bad) {
      const res = await save(connection({ idpMetadataXml: xml }));
      expect(res.statusCode, says).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json(), says).toMatchObject({ code: 'validation_failed', field: 'idpMetadataXml' });
      expect((res.json() as { detail: string }).detail).toContain(says);
    }
    expect((await app.inject({ url: '/api/sso/connection', headers: admin.headers })).json()).toMatchObject({ connection: null, samlMetadataUrl: null });
    expect(await services.database.db.selectFrom('sso_connections').select('id').execute()).toEqual([]);
    // A new connection needs metadata.
    const { idpMetadataXml: _none, ...withoutMetadata } = connection();
    expect((await save(withoutMetadata)).json()).toMatchObject({ code: 'validation_failed', field: 'idpMetadataXml' });

    const saved = await save(connection());
    expect(saved.statusCode, saved.body).toBe(200);
    const settings = saved.json() as { connection: { id: string; protocol: string; issuer: string; saml: { spEntityId: string; ssoUrl: string; certificates: unknown[] } }; samlAcsUrl: string; samlMetadataUrl: string };
    expect(settings.connection).toMatchObject({ protocol: 'saml', issuer: IDP, saml: { idpEntityId: IDP, ssoUrl: SSO_URL, certificates: [expect.objectContaining({ fingerprint256: expect.any(String) })] } });
    expect(settings.samlMetadataUrl).toBe(settings.connection.saml.spEntityId);
    // Trustdesk's decryption key is stored under the organisation's key: no PEM key anywhere in the database.
    expect(await dumpAllTables(services.database.db)).not.toContain('PRIVATE KEY');
    // Saved again without metadata: the provider and Trustdesk's key stay; a broken update changes nothing.
    const before = await services.database.db.selectFrom('sso_connections').selectAll().executeTakeFirstOrThrow();
    expect((await save({ ...withoutMetadata, displayName: 'Example SAML' })).statusCode).toBe(200);
    expect((await save(connection({ displayName: 'Changed', idpMetadataXml: metadata({ validUntil: new Date(Date.now() - 1000) }) }))).statusCode).toBe(400);
    const after = await services.database.db.selectFrom('sso_connections').selectAll().executeTakeFirstOrThrow();
    expect({ ...after, updated_at: null }).toEqual({ ...before, updated_at: null });

    const exported = await app.inject({ url: new URL(settings.samlMetadataUrl).pathname });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('application/samlmetadata+xml');
    expect(exported.body).toContain(`entityID="${settings.connection.saml.spEntityId}"`);
    expect(exported.body).toContain(`Location="${settings.samlAcsUrl}"`);
    expect(exported.body).toContain('use="encryption"');
    expect(exported.body).not.toContain('PRIVATE');
    sp = { entityId: settings.connection.saml.spEntityId, acsUrl: settings.samlAcsUrl, certificatePem: before.saml_sp_cert as string };
    expect((await app.inject({ url: '/api/auth/sso/saml/00000000-0000-4000-8000-000000000000/metadata' })).statusCode).toBe(404);
  });

  it('signs a member in with a signed assertion, a signed response or an encrypted assertion; Trustdesk’s factor follows by default', async () => {
    expect(await mfaOf(await signInWith())).toMatchObject({ verified: false, method: null });
    expect(await lastSignIn()).toMatchObject({ result: 'success', details: { factor: 'sso', protocol: 'saml', assertion: 'plain', secondFactor: 'trustdesk' } });
    expect(await mfaOf(await signInWith({ sign: 'response' }))).toMatchObject({ verified: false });
    expect(await mfaOf(await signInWith({ sign: 'both', encryptFor: sp.certificatePem }))).toMatchObject({ verified: false });
    expect(await mfaOf(await signInWith({ encryptFor: sp.certificatePem }))).toMatchObject({ verified: false });
    expect(await lastSignIn()).toMatchObject({ result: 'success', details: { protocol: 'saml', assertion: 'encrypted' } });
    const session = await services.database.db.selectFrom('sessions').orderBy('created_at', 'desc').select(['signin_method']).executeTakeFirstOrThrow();
    expect(session.signin_method).toBe('sso');
  });

  it('trusts the provider’s AuthnContextClassRef only when configured; a passkey role only on a phishing-resistant one', async () => {
    expect((await save(connection({ idpMetadataXml: undefined, trustProviderMfa: true, mfaAcrValues: [MFA], phishingResistantAcrValues: [PHR] }))).statusCode).toBe(200);
    expect(await mfaOf(await signInWith({ authnContextClassRef: MFA }))).toMatchObject({ verified: true, method: 'sso-mfa' });
    expect(await lastSignIn()).toMatchObject({ details: { secondFactor: 'sso-mfa', acr: MFA } });
    expect(await mfaOf(await signInWith({ authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' }))).toMatchObject({ verified: false });
    expect(await mfaOf(await signInWith({ email: 'ada@saml-a.example', authnContextClassRef: MFA }))).toMatchObject({ verified: false, method: 'sso-mfa' });
    expect(await mfaOf(await signInWith({ email: 'ada@saml-a.example', authnContextClassRef: PHR }))).toMatchObject({ verified: true, method: 'sso-phishing-resistant' });
    expect((await save(connection({ idpMetadataXml: undefined }))).statusCode).toBe(200);
    expect(await mfaOf(await signInWith({ authnContextClassRef: MFA }))).toMatchObject({ verified: false });
  });

  it('refuses unsigned and wrongly signed answers, and signature wrapping', async () => {
    await refusedWith(await signInWith({ sign: 'none' }), 'signature_missing');
    await refusedWith(await signInWith({ signWith: attacker }), 'signature_invalid');
    await refusedWith(await signInWith({ sign: 'response', signWith: attacker }), 'signature_invalid');
    await refusedWith(await signInWith({ sign: 'none', encryptFor: sp.certificatePem }), 'signature_missing');

    // Wrapping: a genuine signed assertion for alice kept in the document, an unsigned one for ada put where it is read.
    const s1 = await start('ada@saml-a.example');
    const genuine = signElement(assertionXml(base(s1.requestId)), 'Assertion', keys);
    const evil = assertionXml(base(s1.requestId, { email: 'ada@saml-a.example', assertionId: '_evil1' }));
    const wrapped = wrapResponse(base(s1.requestId), `<samlp:Extensions>${genuine}</samlp:Extensions>${evil}`);
    await refusedWith(await post(Buffer.from(wrapped).toString('base64'), s1.binding), 'signature_invalid');
    // The genuine signature moved into the forged assertion (it references the genuine one's ID, which it now carries).
    const s2 = await start('ada@saml-a.example');
    const signed = signElement(assertionXml(base(s2.requestId, { assertionId: '_genuine2' })), 'Assertion', keys);
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>|<Signature[\s\S]*<\/Signature>/.exec(signed)?.[0] as string;
    const forged = assertionXml(base(s2.requestId, { email: 'ada@saml-a.example', assertionId: '_genuine2' })).replace('</saml:Issuer>', `</saml:Issuer>${signature}`);
    await refusedWith(await post(Buffer.from(wrapResponse(base(s2.requestId), forged)).toString('base64'), s2.binding), 'signature_invalid');
    // Two assertions, one signed: refused, whichever would be read.
    const s3 = await start();
    const two = wrapResponse(base(s3.requestId), `${signElement(assertionXml(base(s3.requestId)), 'Assertion', keys)}${assertionXml(base(s3.requestId, { email: 'ada@saml-a.example' }))}`);
    await refusedWith(await post(Buffer.from(two).toString('base64'), s3.binding), 'signature_invalid');
    // A signed response whose signed content was changed afterwards.
    const s4 = await start();
    const tampered = Buffer.from(await buildResponse(base(s4.requestId, { sign: 'response' })), 'base64').toString().replace('alice@saml-a.example</saml:NameID>', 'ada@saml-a.example</saml:NameID>');
    await refusedWith(await post(Buffer.from(tampered).toString('base64'), s4.binding), 'signature_invalid');
  });

  it('refuses a replayed response and a replayed assertion', async () => {
    const s = await start();
    const response = await buildResponse(base(s.requestId));
    expect((await post(response, s.binding)).headers.location).toBe('/');
    await refusedWith(await post(response, s.binding), 'response_replayed', 'expired');
    // The same assertion ID again, even signed by the provider for a fresh request: accepted once only.
    const first = await start();
    expect((await post(await buildResponse(base(first.requestId, { assertionId: '_same-assertion' })), first.binding)).headers.location).toBe('/');
    const again = await start();
    await refusedWith(await post(await buildResponse(base(again.requestId, { assertionId: '_same-assertion' })), again.binding), 'assertion_replayed', 'expired');
    const stored = await services.database.db.selectFrom('sso_saml_assertions').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain('_same-assertion');
  });

  it('refuses a wrong audience, recipient, destination or issuer, and an expired or not-yet-valid assertion beyond the clock skew', async () => {
    await refusedWith(await signInWith({ audience: 'https://other-sp.example/saml' }), 'audience_mismatch');
    await refusedWith(await signInWith({ recipient: 'https://other-sp.example/acs' }), 'recipient_mismatch');
    await refusedWith(await signInWith({ destination: 'https://other-sp.example/acs', sign: 'response' }), 'destination_mismatch');
    await refusedWith(await signInWith({ issuer: 'https://evil.example/saml' }), 'issuer_mismatch');
    await refusedWith(await signInWith({ notBeforeMinutes: -20, notOnOrAfterMinutes: -10 }), 'assertion_expired');
    await refusedWith(await signInWith({ notBeforeMinutes: 10, notOnOrAfterMinutes: 20 }), 'assertion_expired');
    // Within the skew (a minute either way) it is accepted.
    expect((await signInWith({ notBeforeMinutes: 1, notOnOrAfterMinutes: 6 })).headers.location).toBe('/');
    // Metadata that was valid when imported and has expired since: its certificates are no longer trusted.
    const db = services.database.db;
    const row = await db.selectFrom('sso_connections').where('org_id', '=', admin.orgId).select(['id', 'saml_metadata_valid_until']).executeTakeFirstOrThrow();
    await db.updateTable('sso_connections').set({ saml_metadata_valid_until: new Date(Date.now() - 60_000) }).where('id', '=', row.id).execute();
    await refusedWith(await signInWith(), 'metadata_expired');
    await db.updateTable('sso_connections').set({ saml_metadata_valid_until: row.saml_metadata_valid_until }).where('id', '=', row.id).execute();
  });

  it('refuses an answer to another request, to none, or in another browser, and a body too large to read', async () => {
    const mine = await start();
    const other = await start();
    await refusedWith(await post(await buildResponse(base(other.requestId)), mine.binding), 'browser_mismatch', 'expired');
    // The Response claims our request, the signed assertion answers another.
    const third = await start();
    const mixed = wrapResponse(base(third.requestId), signElement(assertionXml(base('_another-request')), 'Assertion', keys));
    await refusedWith(await post(Buffer.from(mixed).toString('base64'), third.binding), 'in_response_to_mismatch');
    await refusedWith(await post(await buildResponse(base('_never-issued')), mine.binding), 'state_mismatch', 'expired');
    const unsolicited = Buffer.from(Buffer.from(await buildResponse(base('x')), 'base64').toString().replace(/ InResponseTo="x"/g, '')).toString('base64');
    await refusedWith(await post(unsolicited, mine.binding), 'unsolicited_response', 'expired');
    await refusedWith(await post(Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><unclosed>').toString('base64'), mine.binding), 'malformed_response');

    const before = (await services.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;
    const huge = await app.inject({ method: 'POST', url: '/api/auth/sso/saml/acs', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `SAMLResponse=${'A'.repeat(300 * 1024)}` });
    expect(huge.statusCode).toBe(413);
    expect(huge.headers['content-type']).toContain('application/problem+json');
    expect((await services.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n).toBe(before);
    const trail = JSON.stringify(await services.database.db.selectFrom('audit_log').selectAll().execute());
    expect(trail).not.toMatch(/PHNhbWxwOlJlc3BvbnNl|SAMLResponse|<saml/);
  });

  it('switches to OpenID Connect and back: nothing of the other protocol is kept, and SAML needs metadata again', async () => {
    const oidc = await app.inject({ method: 'PUT', url: '/api/sso/connection', headers: admin.headers, payload: { enabled: true, displayName: 'OIDC', issuer: 'https://login.example.test', clientId: 'trustdesk', clientSecret: 'a-secret-for-this-test', emailDomains: ['saml-a.example'], trustProviderMfa: false } });
    expect(oidc.json()).toMatchObject({ connection: { protocol: 'oidc', saml: null, hasClientSecret: true }, samlMetadataUrl: null });
    const row = await services.database.db.selectFrom('sso_connections').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ saml_sso_url: null, saml_idp_certs: [], saml_sp_key_enc: null, saml_sp_cert: null });
    // Discovery now sends the browser to the OpenID provider; a SAML answer posted anyway is refused.
    const { idpMetadataXml: _none, ...withoutMetadata } = connection();
    expect((await save(withoutMetadata)).json()).toMatchObject({ code: 'validation_failed', field: 'idpMetadataXml' });
    const back = await save(connection());
    expect(back.json()).toMatchObject({ connection: { protocol: 'saml', hasClientSecret: false } });
    // Same entity ID (the connection's), a new decryption key: the provider must read Trustdesk's metadata again.
    sp = { ...sp, entityId: (back.json() as { connection: { saml: { spEntityId: string } } }).connection.saml.spEntityId };
    expect((await signInWith()).headers.location).toBe('/');
  });

  it('provisions on first sign-in only when turned on, from mapped groups in the connection’s domains; a mapping to a missing role is refused', async () => {
    // Off by default: a stranger is refused.
    await refusedWith(await signInWith({ email: 'newbie@saml-a.example', groups: ['support-agents'] }), 'unknown_person', 'no_account');
    const team = await buildTeam(services, orgA);
    const before = await services.database.db.selectFrom('sso_connections').select(['jit_provisioning', 'group_mappings']).executeTakeFirstOrThrow();
    const bad = await save(connection({ idpMetadataXml: undefined, jitProvisioning: true, groupMappings: [{ group: 'support-agents', roles: ['agent'], teams: [team] }, { group: 'leads', roles: ['team-lead'], teams: [] }] }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_failed', field: 'groupMappings/1/roles' });
    expect((bad.json() as { detail: string }).detail).toBe('The group “leads” maps to the role “team-lead”, which does not exist in this organisation.');
    expect(await services.database.db.selectFrom('sso_connections').select(['jit_provisioning', 'group_mappings']).executeTakeFirstOrThrow()).toEqual(before);

    const ok = await save(connection({ idpMetadataXml: undefined, jitProvisioning: true, groupMappings: [{ group: 'support-agents', roles: ['agent'], teams: [team] }] }));
    expect(ok.json()).toMatchObject({ connection: { jitProvisioning: true, groupMappings: [{ group: 'support-agents', roles: ['agent'], teams: [team] }] } });
    // Saved from a screen that does not send them, the provisioning settings stay.
    expect((await save(connection({ idpMetadataXml: undefined }))).json()).toMatchObject({ connection: { jitProvisioning: true } });

    await refusedWith(await signInWith({ email: 'newbie@saml-a.example', groups: ['everyone'] }), 'no_mapped_group', 'no_account');
    // An address outside the connection's domains is never provisioned, whatever the groups.
    const s = await start();
    await refusedWith(await post(await buildResponse(base(s.requestId, { email: 'eve@elsewhere.example', groups: ['support-agents'] })), s.binding), 'unknown_person', 'no_account');

    expect(await mfaOf(await signInWith({ email: 'newbie@saml-a.example', groups: ['everyone', 'support-agents'] }))).toMatchObject({ verified: false });
    const db = services.database.db;
    const newbie = await db.selectFrom('users').where('email', '=', 'newbie@saml-a.example').select(['id', 'org_id', 'status', 'password_hash']).executeTakeFirstOrThrow();
    expect(newbie).toMatchObject({ org_id: orgA.orgId, status: 'active', password_hash: null });
    expect((await db.selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').where('user_id', '=', newbie.id).select('roles.key').execute()).map((r) => r.key)).toEqual(['agent']);
    expect((await db.selectFrom('team_members').where('user_id', '=', newbie.id).select('team_id').execute()).map((r) => r.team_id)).toEqual([team]);
    const provisioned = await db.selectFrom('audit_log').where('action', '=', 'user.provision').where('object_id', '=', newbie.id).select('details').executeTakeFirstOrThrow();
    expect(provisioned.details).toMatchObject({ via: 'sso', groups: ['support-agents'] });
    // The second time, the account exists: signed in, not provisioned again.
    expect((await signInWith({ email: 'newbie@saml-a.example', groups: ['support-agents'] })).headers.location).toBe('/');
    expect(await db.selectFrom('audit_log').where('action', '=', 'user.provision').where('object_id', '=', newbie.id).select('seq').execute()).toHaveLength(1);

    // Two first sign-ins of one new person at once (two tabs): both get a session, one account is made.
    const [a, b] = await Promise.all([start('twice@saml-a.example'), start('twice@saml-a.example')]);
    const both = await Promise.all([a, b].map(async (x) => post(await buildResponse(base(x.requestId, { email: 'twice@saml-a.example', groups: ['support-agents'] })), x.binding)));
    expect(both.map((r) => [r.statusCode, r.headers.location])).toEqual([[303, '/'], [303, '/']]);
    const twice = await db.selectFrom('users').where('email', '=', 'twice@saml-a.example').select('id').execute();
    expect(twice).toHaveLength(1);
    expect(await db.selectFrom('audit_log').where('action', '=', 'user.provision').where('object_id', '=', twice[0]!.id).select('seq').execute()).toHaveLength(1);
  });

  it('provisioning at first sign-in is refused when the organisation has no seat left (decision 0235); people who have an account still sign in', async () => {
    const db = services.database.db;
    const used = (await organizationUsage(db, orgA.orgId)).seats;
    await setOrganizationLimits({ db, audit: services.audit }, CLI_OPERATOR, orgA.orgId, { seats: used });
    try {
      await refusedWith(await signInWith({ email: 'seatless@saml-a.example', groups: ['support-agents'] }), 'seat_limit_reached', 'seats');
      expect(await db.selectFrom('users').where('email', '=', 'seatless@saml-a.example').select('id').executeTakeFirst()).toBeUndefined();
      expect((await signInWith({ email: 'newbie@saml-a.example', groups: ['support-agents'] })).headers.location).toBe('/');
    } finally {
      await setOrganizationLimits({ db, audit: services.audit }, CLI_OPERATOR, orgA.orgId, { seats: null });
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)('SAML replay across two instances on one PostgreSQL', () => {
  const instances: Array<{ app: FastifyInstance; services: Services }> = [];
  afterAll(async () => {
    for (const { app, services } of [...instances].reverse()) {
      await app.close();
      await services.close();
    }
  });

  it('refuses on instance B a response and an assertion first accepted on instance A', async () => {
    const database = await createTestDatabase('postgres');
    const kek = randomKekSpec();
    for (let i = 0; i < 2; i++) {
      const handle = i === 0 ? database : await openDatabase({ url: TEST_DATABASE_URL, schema: database.schema, poolSize: 2 });
      const services = await openServices({ config: testConfig(), logger: silentLogger, migrate: false, database: handle, provider: new EnvKeyProvider(kek), mailer: new MemoryMailer() });
      instances.push({ services, app: await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache }) });
    }
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const keys = newIdpKeys();
    const org = await buildOrg(a.services);
    await buildUser(a.services, org, { roles: ['agent'], email: 'alice@saml-x.example' });
    const admin = await signInAs(a.app, await buildUser(a.services, org, { roles: ['administrator'] }), { mfa: 'webauthn' });
    const saved = await a.app.inject({ method: 'PUT', url: '/api/sso/connection/saml', headers: admin.headers, payload: { enabled: true, displayName: 'IdP', idpMetadataXml: idpMetadata({ entityId: IDP, ssoUrl: SSO_URL, certificatePem: keys.certificatePem }), emailDomains: ['saml-x.example'], trustProviderMfa: false } });
    const { samlAcsUrl, connection } = saved.json() as { samlAcsUrl: string; connection: { saml: { spEntityId: string } } };
    const start = async (app: FastifyInstance) => {
      const res = await app.inject({ method: 'POST', url: '/api/auth/sso/discover', payload: { email: 'alice@saml-x.example' } });
      const request = inflateRawSync(Buffer.from(new URL((res.json() as { authorizationUrl: string }).authorizationUrl).searchParams.get('SAMLRequest') as string, 'base64')).toString();
      return { requestId: /ID="([^"]+)"/.exec(request)?.[1] as string, binding: res.cookies.find((c) => c.name === SSO_COOKIE)?.value as string };
    };
    const post = (app: FastifyInstance, samlResponse: string, binding: string) => app.inject({ method: 'POST', url: '/api/auth/sso/saml/acs', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ SAMLResponse: samlResponse }).toString(), cookies: { [SSO_COOKIE]: binding } });
    const response = (requestId: string) => buildResponse({ idpEntityId: IDP, keys, audience: connection.saml.spEntityId, acsUrl: samlAcsUrl, inResponseTo: requestId, email: 'alice@saml-x.example', assertionId: '_shared-assertion' });

    const first = await start(a.app);
    const answer = await response(first.requestId);
    expect((await post(a.app, answer, first.binding)).headers.location).toBe('/');
    expect((await post(b.app, answer, first.binding)).headers.location).toBe('/signin?sso=expired');
    const second = await start(b.app);
    expect((await post(b.app, await response(second.requestId), second.binding)).headers.location).toBe('/signin?sso=expired');
    const reasons = await b.services.database.db.selectFrom('audit_log').where('action', '=', 'auth.signin').orderBy('seq', 'asc').select('details').execute();
    expect(reasons.map((r) => (r.details as { reason?: string }).reason).filter(Boolean)).toEqual(['response_replayed', 'assertion_replayed']);
  });
});
