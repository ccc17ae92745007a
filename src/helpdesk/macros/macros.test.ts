import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MacroActions } from '../sla/schema.js';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { createTicket, readTicket } from '../tickets/tickets.service.js';
import { buildPrincipal, seedOrganization, seedStaff, seedTeam } from '../tickets/testing.js';
import { applyMacro, listMacros, previewMacro, saveMacro } from './macros.service.js';
import { checkMacroTemplate, findSensitiveInsertions, placeholdersIn, renderMacro } from './render.js';

describe('macro templates (pure)', () => {
  it('fills placeholders and records where values landed', () => {
    const r = renderMacro('Hi {{customer.first_name}}, ticket #{{ ticket.number }} — {{agent.first_name}} {{nope.x}}', { 'customer.first_name': 'Ada', 'ticket.number': '42', 'agent.first_name': 'Sam' });
    expect(r.text).toBe('Hi Ada, ticket #42 — Sam {{nope.x}}');
    expect(r.inserted.map((i) => r.text.slice(i.start, i.end))).toEqual(['Ada', '42', 'Sam']);
    expect(placeholdersIn('{{customer.email}} {{customer.ssn}}')).toEqual({ known: ['customer.email'], unknown: ['customer.ssn'] });
  });

  it('attributes sensitive data to the placeholder that inserted it', () => {
    const r = renderMacro('We will write to {{customer.email}}. Call us on +44 20 7946 0958.', { 'customer.email': 'ada@example.org' });
    const w = findSensitiveInsertions(r);
    expect(w).toContainEqual({ type: 'email', placeholder: 'customer.email', action: 'flag' });
    expect(w.find((x) => x.type === 'phone')?.placeholder ?? null).toBeNull();
  });

  it('refuses card numbers and secrets in a template, warns about flagged types, ignores placeholders', () => {
    expect(checkMacroTemplate('Use card 4111 1111 1111 1111').refuse).toContain('payment_card');
    expect(checkMacroTemplate('password: hunter2hunter2').refuse).toContain('password');
    expect(checkMacroTemplate('Hello {{customer.email}}')).toEqual({ refuse: [], warn: [] });
  });
});

describe.each(testDatabaseKinds)('macros on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let orgId: string;
  let team: string;
  let lead: ReturnType<typeof buildPrincipal>;
  let agent: ReturnType<typeof buildPrincipal>;
  let ticketId: string;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    orgId = await seedOrganization(s.database.db);
    team = await seedTeam(s.database.db, orgId);
    lead = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [team] }), role: 'supervisor', teamIds: [team] });
    agent = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [team] }), role: 'agent', teamIds: [team] });
    const customerId = (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Wilhelmina Crabtree', email: 'wilhelmina@example.org' })).id;
    ticketId = (await createTicket(deps, { principal: agent }, { requesterId: customerId, subject: 'Return label', body: 'Need a label', teamId: team })).id;
  });
  afterAll(async () => s?.close());

  it('saves macros encrypted, refusing card numbers and unknown placeholders', async () => {
    await expect(saveMacro(deps, { principal: lead }, { name: 'bad', body: 'Card 4111111111111111' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(saveMacro(deps, { principal: lead }, { name: 'bad', body: 'Hi {{customer.dob}}' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(saveMacro(deps, { principal: lead }, { name: 'bad', body: 'x', actions: { status: 'bogus' } as unknown as MacroActions })).rejects.toMatchObject({ code: 'validation_failed' });
    await saveMacro(deps, { principal: lead }, { name: 'Label sent', body: 'Hello {{customer.first_name}}, your returns label for #{{ticket.number}} is attached. Zanzibar regards.', actions: { status: 'pending', addTags: ['returns'], priority: 'low' } });
    expect((await listMacros(deps, { principal: agent })).map((m) => m.name)).toEqual(['Label sent']);
    const dump = await dumpAllTables(s.database.db);
    expect(dumpContains(dump, 'Zanzibar regards')).toBe(false);
  });

  it('applies: reply with placeholders filled, actions in the same transaction, audited', async () => {
    const [m] = await listMacros(deps, { principal: agent });
    // The preview follows the masking policy: by default an agent sees the requester's name in clear (decision 0143)…
    const preview = await previewMacro(deps, { principal: agent }, { ticketId, macroId: m!.id });
    expect(preview.body).toMatch(/^Hello Wilhelmina, your returns label for #\d+ is attached/);
    expect(preview.warnings).toEqual([]);
    // …and with the name masked for agents, it shows the name as the customer panel does; sending fills in the real one.
    await s.database.db.updateTable('organizations').set({ settings: JSON.stringify({ masking: { clear: { agent: [] }, stepUp: ['name'], reasons: { minLength: 10, categories: [] } } }) }).where('id', '=', orgId).execute();
    const masked = await previewMacro(deps, { principal: agent }, { ticketId, macroId: m!.id });
    expect(masked.body).toMatch(/^Hello W•••, your returns label for #\d+ is attached/);
    expect(masked.body).not.toContain('Wilhelmina');
    await s.database.db.updateTable('organizations').set({ settings: '{}' }).where('id', '=', orgId).execute();
    const res = await applyMacro(deps, { principal: agent }, { ticketId, macroId: m!.id, send: 'reply' });
    const t = await readTicket(deps, { principal: agent }, { ticketId });
    expect(t.messages.find((x) => x.id === res.messageId)?.body).toMatch(/^Hello Wilhelmina/);
    expect(t).toMatchObject({ status: 'pending', priority: 'low', tags: ['returns'] });
    await s.audit.flush();
    const actions = (await s.database.db.selectFrom('audit_log').where('object_id', '=', ticketId).select(['action', 'details']).orderBy('seq').execute()).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['ticket.reply', 'ticket.update', 'ticket.macro.apply']));
  });

  it('warns when a placeholder inserts sensitive data into a reply, and sends only when acknowledged', async () => {
    const m = await saveMacro(deps, { principal: lead }, { name: 'Confirm address', body: 'We have {{customer.email}} on file.', actions: { assigneeId: lead.userId } });
    const before = (await readTicket(deps, { principal: agent }, { ticketId })).messages.length;
    const err = await applyMacro(deps, { principal: lead }, { ticketId, macroId: m.id, send: 'reply' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict', extra: { warnings: [{ type: 'email', placeholder: 'customer.email', action: 'flag' }] } });
    expect((await readTicket(deps, { principal: agent }, { ticketId })).messages.length).toBe(before);
    // An agent lacks tickets.assign: the macro's assignment action is refused, nothing is sent.
    await expect(applyMacro(deps, { principal: agent }, { ticketId, macroId: m.id, send: 'reply', acknowledgeWarnings: true })).rejects.toMatchObject({ code: 'not_found' });
    const ok = await applyMacro(deps, { principal: lead }, { ticketId, macroId: m.id, send: 'reply', acknowledgeWarnings: true });
    expect(ok.warnings).toHaveLength(1);
    const after = await readTicket(deps, { principal: lead }, { ticketId });
    expect(after.messages.length).toBe(before + 1);
    expect(after.assigneeId).toBe(lead.userId);
  });
});
