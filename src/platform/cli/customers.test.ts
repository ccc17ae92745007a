/**
 * `trustdesk customers erase`: nothing changes without --yes; with it the customer's keys go, the erasure is
 * recorded as a data-subject request and its certificate printed; a second run is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../app/testing.js';
import { openServices } from '../app/services.js';
import { buildOrg } from '../../identity/auth/testing.js';
import { createCustomer, readCustomer } from '../../helpdesk/customers/customers.service.js';
import '../../helpdesk/privacy/schema.js';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { runCli } from './main.js';

describe('trustdesk customers erase and export', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('asks for --yes, erases and prints the certificate, then refuses a second erasure', async () => {
    env = await createTestEnvironment('pglite');
    let s = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
    const org = await buildOrg(s, 'Erase Test Org');
    const deps = { db: s.database.db, keyring: s.keyring, audit: s.audit };
    const { id } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Ottoline Brightwater', email: 'ottoline@customer.example' });
    const other = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Ximena Exported', email: 'ximena@customer.example' });
    await s.close();

    // The operator's export: the zip is written (owner-only), an existing file is not overwritten.
    const out = path.join(env.dir, 'ximena.zip');
    const exported = captureIo(env.env);
    expect(await runCli(['customers', 'export', '--customer', other.id, '--out', out], exported.io)).toBe(0);
    expect(exported.text()).toMatch(/0 tickets/);
    const doc = JSON.parse(strFromU8(unzipSync(new Uint8Array(readFileSync(out)))['data.json']!)) as { customer: { name: string; email: string } };
    expect(doc.customer).toMatchObject({ name: 'Ximena Exported', email: 'ximena@customer.example' });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(await runCli(['customers', 'export', '--customer', other.id, '--out', out], captureIo(env.env).io)).toBe(2);
    expect(await runCli(['customers', 'export', '--customer', '00000000-0000-4000-8000-000000000000', '--out', `${out}.2`], captureIo(env.env).io)).toBe(1);

    const dry = captureIo(env.env);
    expect(await runCli(['customers', 'erase', id, '--org', 'Erase Test Org'], dry.io)).toBe(2);
    expect(dry.text()).toMatch(/--yes/);

    const run = captureIo(env.env);
    expect(await runCli(['customers', 'erase', id, '--org', 'Erase Test Org', '--yes'], run.io)).toBe(0);
    expect(run.text()).toContain('CERTIFICATE OF ERASURE');
    expect(run.text()).toContain(`Customer:       ${id}`);
    expect(run.text()).toMatch(/1 {2}customer records/);
    expect(run.text()).not.toContain('ottoline');

    const again = captureIo(env.env);
    expect(await runCli(['customers', 'erase', id, '--org', org.orgId, '--yes'], again.io)).toBe(1);
    expect(again.text()).toMatch(/already erased/);

    s = await openServices({ config: env.config(), logger: silentLogger, migrate: false });
    try {
      expect(await readCustomer({ db: s.database.db, keyring: s.keyring, audit: s.audit }, { orgId: org.orgId, actor: { type: 'system' } }, { customerId: id, purpose: 'test' })).toEqual({ id, erased: true });
      const req = await s.database.db.selectFrom('privacy_requests').where('customer_id', '=', id).select(['via', 'status', 'decided_by']).execute();
      expect(req).toEqual([{ via: 'cli', status: 'done', decided_by: null }]);
    } finally {
      await s.close();
    }
  }, 180_000);
});
