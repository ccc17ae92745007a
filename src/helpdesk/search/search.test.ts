import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { addCustomerContact } from '../customers/customer-fields.js';
import { createCustomer } from '../customers/customers.service.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { addInternalNote, replyToTicket } from '../tickets/ticket-actions.js';
import { createTicket } from '../tickets/tickets.service.js';
import { buildPrincipal, seedOrganization, seedStaff, seedTeam } from '../tickets/testing.js';
import { deleteSearchTokensForCustomer } from './search-index.js';
import { searchTickets } from './search.service.js';
import { extractSearchWords, normalizeWord, queryWords } from './tokens.js';

describe('search words (pure)', () => {
  it('normalises case and accents, skips masked and detected sensitive spans', () => {
    expect(normalizeWord('Café')).toBe('cafe');
    const words = extractSearchWords('Refund for Café order 7781: card 4111 11** **** 1111, IBAN GB82 WEST 1234 5698 7654 32, mail jo@example.org [redacted:password]');
    expect(words).toEqual(expect.arrayContaining(['refund', 'cafe', 'order', '7781', 'card']));
    for (const w of ['4111', '1111', '11', 'gb82', 'west', '5698', 'jo', 'example', 'redacted', 'password']) expect(words).not.toContain(w);
  });

  it('never yields a token from a card number, masked or not (property)', () => {
    const luhn = (digits: number[]) => {
      let sum = 0;
      for (let i = 0; i < digits.length; i++) {
        let d = digits[digits.length - 1 - i] as number;
        if (i % 2 === 0) {
          d *= 2;
          if (d > 9) d -= 9;
        }
        sum += d;
      }
      return (10 - (sum % 10)) % 10;
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 }), fc.constantFrom(' ', '-', ''), (rest, sep) => {
        const body = [4, ...rest];
        const digits = [...body, luhn(body)].join('');
        const grouped = sep ? digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`) : digits;
        const words = extractSearchWords(`my card is ${grouped} thanks`);
        return words.every((w) => !/\d/.test(w));
      }),
      { numRuns: 200 },
    );
  });

  it('query words are capped and normalised', () => {
    expect(queryWords('  TEAPOT  cracked! a ')).toEqual(['teapot', 'cracked']);
  });
});

describe.each(testDatabaseKinds)('encrypted search on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let orgId: string;
  let teamA: string;
  let agentA: ReturnType<typeof buildPrincipal>;
  let agentB: ReturnType<typeof buildPrincipal>;
  let admin: ReturnType<typeof buildPrincipal>;
  let customerId: string;
  let ticketId: string;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    orgId = await seedOrganization(s.database.db);
    teamA = await seedTeam(s.database.db, orgId, 'A');
    const teamB = await seedTeam(s.database.db, orgId, 'B');
    agentA = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [teamA] }), role: 'agent', teamIds: [teamA] });
    agentB = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [teamB] }), role: 'agent', teamIds: [teamB] });
    admin = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId), role: 'administrator' });
    customerId = (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Hesketh Pomeroy', email: 'hesketh@example.org' })).id;
    await addCustomerContact(deps, { orgId, actor: { type: 'system' } }, { customerId, kind: 'email', value: 'h.pomeroy@work.example' });
    const t = await createTicket(deps, { principal: agentA }, { requesterId: customerId, subject: 'Broken teapot', body: 'The porcelain teapot arrived cracked. Card 4111 1111 1111 1111 was charged.', teamId: teamA, tags: ['breakage'] });
    ticketId = t.id;
    await replyToTicket(deps, { principal: agentA }, { ticketId, body: 'Sorry! A replacement kettle ships Thursday.' });
    await addInternalNote(deps, { principal: agentA }, { ticketId, body: 'Courier reference zebra42' });
  });
  afterAll(async () => s?.close());

  const ids = async (p: ReturnType<typeof buildPrincipal>, input: Parameters<typeof searchTickets>[2]) => (await searchTickets(deps, { principal: p }, input)).map((t) => t.id);

  it('finds words in encrypted bodies, subjects and notes, all words required', async () => {
    expect(await ids(agentA, { q: 'teapot' })).toEqual([ticketId]);
    expect(await ids(agentA, { q: 'PORCELAIN cracked' })).toEqual([ticketId]);
    expect(await ids(agentA, { q: 'kettle thursday' })).toEqual([ticketId]);
    expect(await ids(agentA, { q: 'zebra42' })).toEqual([ticketId]);
    expect(await ids(agentA, { q: 'teapot giraffe' })).toEqual([]);
  });

  it('never matches a redacted card number or its fragments', async () => {
    for (const q of ['4111111111111111', '4111 1111 1111 1111', '4111', '1111', '411111']) expect(await ids(admin, { q })).toEqual([]);
  });

  it('searches metadata and the requester by email (blind index), primary or further address', async () => {
    expect(await ids(agentA, { requesterEmail: 'HESKETH@example.org' })).toEqual([ticketId]);
    expect(await ids(agentA, { requesterEmail: 'h.pomeroy@work.example', tags: ['breakage'] })).toEqual([ticketId]);
    expect(await ids(agentA, { requesterEmail: 'nobody@example.org' })).toEqual([]);
    expect(await ids(agentA, { q: 'teapot', status: ['solved'] })).toEqual([]);
  });

  it('never returns tickets outside the caller’s scope or another organisation’s', async () => {
    expect(await ids(agentB, { q: 'teapot' })).toEqual([]);
    const otherOrg = await seedOrganization(s.database.db, 'Other');
    const outsider = buildPrincipal({ orgId: otherOrg, userId: await seedStaff(s.database.db, otherOrg), role: 'administrator' });
    expect(await ids(outsider, { q: 'teapot' })).toEqual([]);
    expect(await ids(outsider, { requesterEmail: 'hesketh@example.org' })).toEqual([]);
  });

  it('stores no word in clear; erasure deletes the customer’s tokens', async () => {
    const dump = await dumpAllTables(s.database.db);
    for (const w of ['teapot', 'porcelain', 'zebra42', 'kettle']) expect(dumpContains(dump, w)).toBe(false);
    const deleted = await s.database.db.transaction().execute((trx) => deleteSearchTokensForCustomer(trx, { orgId, customerId }));
    expect(deleted).toBeGreaterThan(5);
    expect(await ids(admin, { q: 'teapot' })).toEqual([]);
  });
});
