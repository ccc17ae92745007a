import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { seedOrganization } from '../tickets/testing.js';
import { addCustomerContact, findCustomerIdsByPhone, readMaskedCustomer, revealCustomerField, updateCustomerFields } from './customer-fields.js';
import { createCustomer, eraseCustomer, type ActingContext } from './customers.service.js';
import { maskEmail, maskName, maskPhone } from './masking.js';

describe('masking', () => {
  it('keeps only what tells records apart', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j•••@example.com');
    expect(maskPhone('+44 20 7946 0958')).toBe('•••• 0958');
    expect(maskName('Jane Doe')).toBe('J••• D•••');
  });
});

describe.each(testDatabaseKinds)('customer fields on %s', (kind) => {
  let s: Services;
  let ctx: ActingContext;
  const deps = () => ({ db: s.database.db, keyring: s.keyring, audit: s.audit });
  beforeAll(async () => {
    s = await createTestServices(kind);
    ctx = { orgId: await seedOrganization(s.database.db), actor: { type: 'user', id: 'agent-1' } };
  });
  afterAll(async () => s?.close());

  it('stores phones, address and notes encrypted, finds by phone, masks by default, reveals with an audited reason', async () => {
    const { id } = await createCustomer(deps(), ctx, { name: 'Marguerite Olawale', email: 'marguerite.o@example.net' });
    await updateCustomerFields(deps(), ctx, { customerId: id, address: '17 Quillfeather Lane, Dunmore', notes: 'Prefers calls after 5', customFields: { plan: 'gold' } });
    await addCustomerContact(deps(), ctx, { customerId: id, kind: 'phone', value: '+44 20 7946 0958' });
    expect(await findCustomerIdsByPhone(deps(), ctx, '+442079460958')).toEqual([id]);
    const masked = await readMaskedCustomer(deps(), ctx, { customerId: id });
    expect(masked).toMatchObject({ name: 'M••• O•••', email: 'm•••@example.net', phones: ['•••• 0958'], hasAddress: true });
    await expect(revealCustomerField(deps(), ctx, { customerId: id, field: 'address', reason: '' })).rejects.toMatchObject({ code: 'validation_failed' });
    // A reason someone can read later: not three characters, not spaces, not one character repeated.
    for (const reason of ['abc', 'x y z', '            ', 'aaaaaaaaaaaa', 'a a a a a a a a']) {
      await expect(revealCustomerField(deps(), ctx, { customerId: id, field: 'address', reason }), reason).rejects.toMatchObject({ code: 'validation_failed' });
    }
    const revealed = await revealCustomerField(deps(), ctx, { customerId: id, field: 'address', reason: 'Confirming delivery address for ticket #12' });
    expect(revealed.value).toBe('17 Quillfeather Lane, Dunmore');
    await s.audit.flush();
    const reveal = await s.database.db.selectFrom('audit_log').where('action', '=', 'customer.field.reveal').select(['purpose', 'details', 'subject']).executeTakeFirstOrThrow();
    expect(reveal.purpose).toBe('Confirming delivery address for ticket #12');
    expect(reveal.details).toEqual({ field: 'address' });
    const dump = await dumpAllTables(s.database.db);
    for (const secret of ['Quillfeather', 'Marguerite', '7946 0958', '2079460958', 'Prefers calls']) {
      expect(dumpContains(dump, secret)).toBe(false);
    }
    await eraseCustomer(deps(), ctx, { customerId: id, purpose: 'erasure request' });
    await expect(revealCustomerField(deps(), ctx, { customerId: id, field: 'phones', reason: 'after erasure' })).rejects.toMatchObject({ code: 'key_destroyed' });
  });
});
