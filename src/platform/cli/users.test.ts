import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, type TestEnvironment } from '../app/testing.js';
import { runCli } from './main.js';

describe('trustdesk users create-admin and tokens create', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('prints a setup link on a new installation, or creates the organisation and an invitation; tokens are printed once and hashed', async () => {
    env = await createTestEnvironment('pglite');
    expect(await runCli(['db', 'migrate'], captureIo(env.env).io)).toBe(0);
    const first = captureIo(env.env);
    expect(await runCli(['users', 'create-admin', '--email', 'ops@acme.example'], first.io)).toBe(0);
    expect(first.text()).toMatch(/\/setup#token=tdl_[A-Za-z0-9_-]{43}/);

    const withOrg = captureIo(env.env);
    expect(await runCli(['users', 'create-admin', '--email', 'ops@acme.example', '--org', 'Acme'], withOrg.io)).toBe(0);
    expect(withOrg.text()).toMatch(/\/accept-invite#token=tdl_/);

    const noUser = captureIo(env.env);
    expect(await runCli(['tokens', 'create', '--user', 'nobody@acme.example', '--scopes', 'users.read'], noUser.io)).toBe(1);
    // An invited (not yet active) account cannot own tokens.
    const invited = captureIo(env.env);
    expect(await runCli(['tokens', 'create', '--user', 'ops@acme.example', '--scopes', 'users.read'], invited.io)).toBe(1);
    expect(invited.text()).toMatch(/No such active user/);
    // Several opens of a data-folder database, as outbox.test.ts: more than the default 30 s on a loaded machine.
  }, 180_000);
});
