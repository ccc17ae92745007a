import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, type TestEnvironment } from '../app/testing.js';
import { runCli } from './main.js';

/** `trustdesk setup`, `orgs …` and service tokens, run as the operator would, on one data folder. */
describe('trustdesk setup, orgs and service tokens', () => {
  let env: TestEnvironment;
  const run = async (...args: string[]) => {
    const c = captureIo(env.env);
    const code = await runCli(args, c.io);
    return { code, text: c.text(), out: c.out };
  };
  beforeAll(async () => {
    env = await createTestEnvironment('pglite');
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('sets up a new installation headless, once; adds organisations; refuses collisions, a wrong --confirm, unknown scopes and a suspended organisation’s tokens', async () => {
    const setup = await run('setup', '--org', 'Northwind Clinics', '--admin', 'it@northwind.example');
    expect(setup.code, setup.text).toBe(0);
    expect(setup.text).toMatch(/slug northwind-clinics/);
    expect(setup.text).toMatch(/\/accept-invite#token=tdl_[A-Za-z0-9_-]{43}/);

    const twice = await run('setup', '--org', 'Contoso Legal', '--admin', 'it@contoso.example');
    expect(twice.code).toBe(1);
    expect(twice.text).toMatch(/already set up \(1 organisation\)\. To add an organisation: trustdesk orgs create --name "Contoso Legal" --admin it@contoso.example/);

    const second = await run('orgs', 'create', '--name', 'Contoso Legal', '--admin', 'it@contoso.example');
    expect(second.code, second.text).toBe(0);
    expect(second.text).toMatch(/accept-invite#token=tdl_/);
    const sameName = await run('orgs', 'create', '--name', 'contoso legal', '--admin', 'ops@contoso.example');
    expect(sameName).toMatchObject({ code: 1, text: expect.stringMatching(/named "Contoso Legal" exists already/) });
    const sameSlug = await run('orgs', 'create', '--name', 'Contoso Legal Group', '--slug', 'northwind-clinics', '--admin', 'ops@contoso.example');
    expect(sameSlug).toMatchObject({ code: 1, text: expect.stringMatching(/slug "northwind-clinics" is taken/) });

    const unknown = await run('tokens', 'create', '--service', '--org', 'contoso-legal', '--name', 'provisioner', '--scopes', 'tickets.read,tickets.teleport');
    expect(unknown).toMatchObject({ code: 1, text: expect.stringMatching(/Unknown scope: tickets\.teleport\. Known scopes: /) });
    const token = await run('tokens', 'create', '--service', '--org', 'contoso-legal', '--name', 'provisioner', '--scopes', 'channels.manage,teams.manage,tickets.read');
    expect(token.code, token.text).toBe(0);
    expect(token.out[0]).toMatch(/^tdt_[A-Za-z0-9_-]{43}$/);

    // Service-level cases (a wrong --confirm, list output) are in identity/organizations; each command here opens the data folder.
    const noConfirm = await run('orgs', 'delete', 'contoso-legal');
    expect(noConfirm).toMatchObject({ code: 1, text: expect.stringMatching(/Repeat its slug or id to confirm: --confirm contoso-legal/) });

    expect((await run('orgs', 'suspend', 'contoso-legal', '--reason', 'contract ended')).code).toBe(0);
    const suspended = await run('tokens', 'create', '--service', '--org', 'contoso-legal', '--name', 'provisioner', '--scopes', 'tickets.read');
    expect(suspended).toMatchObject({ code: 1, text: expect.stringMatching(/suspended/) });

    const deleted = await run('orgs', 'delete', 'contoso-legal', '--confirm', 'contoso-legal');
    expect(deleted.code, deleted.text).toBe(0);
    expect(deleted.text).toMatch(/deleted: \d+ keys destroyed, \d+ rows and 0 attachment files removed/);
    const after = await run('orgs', 'list');
    expect(after.out).toHaveLength(1);
    expect(after.out[0]).toMatch(/northwind-clinics +active +1 +Northwind Clinics$/);
  }, 240_000);
});
