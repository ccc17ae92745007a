import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, type TestEnvironment } from '../app/testing.js';
import { runCli } from './main.js';

describe('trustdesk scim token create|list|revoke', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('issues a token printed once (stored hashed), lists it without its secret, revokes it', async () => {
    env = await createTestEnvironment('pglite');
    expect(await runCli(['db', 'migrate'], captureIo(env.env).io)).toBe(0);
    expect(await runCli(['orgs', 'create', '--name', 'Acme SCIM', '--admin', 'ops@acme-scim.example'], captureIo(env.env).io)).toBe(0);
    const created = captureIo(env.env);
    expect(await runCli(['scim', 'token', 'create', '--org', 'acme-scim', '--name', 'Entra ID'], created.io)).toBe(0);
    const token = created.text().match(/tdp_[A-Za-z0-9_-]{43}/)?.[0];
    expect(token).toBeDefined();
    expect(created.text()).toMatch(/\/scim\/v2/);
    const listed = captureIo(env.env);
    expect(await runCli(['scim', 'token', 'list', '--org', 'acme-scim'], listed.io)).toBe(0);
    expect(listed.text()).toMatch(/Entra ID/);
    expect(listed.text()).not.toContain(token!);
    const id = listed.text().split(/\s+/)[0]!;
    const revoked = captureIo(env.env);
    expect(await runCli(['scim', 'token', 'revoke', id, '--org', 'acme-scim'], revoked.io)).toBe(0);
    expect(revoked.text()).toContain(`Revoked ${id}`);
  }, 180_000);
});
