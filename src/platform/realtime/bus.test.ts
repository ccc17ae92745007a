/**
 * The bus's parts that need no Redis: what another instance may put on the
 * channel (anything malformed is dropped), and presence bookkeeping across
 * instances (the most recent activity wins; stale and departed reports drop out).
 */
import { describe, expect, it } from 'vitest';
import { parseBusEvent } from './bus.js';
import { IDLE_MS, isActive, LocalPresence, SEEN_TTL_MS } from './presence.js';

const org = '0b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const ticket = '1b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const conv = '2b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const user = '3b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

describe('parseBusEvent', () => {
  it('takes each kind of event, field by field', () => {
    expect(parseBusEvent({ k: 'chat-seq', orgId: org, conversationId: conv, ticketId: ticket, seq: 3 })).toEqual({ k: 'chat-seq', orgId: org, conversationId: conv, ticketId: ticket, seq: 3 });
    expect(parseBusEvent({ k: 'chat-state', orgId: org, conversationId: conv, ticketId: null })).toEqual({ k: 'chat-state', orgId: org, conversationId: conv, ticketId: null });
    expect(parseBusEvent({ k: 'chat-verify', orgId: org, ticketId: ticket, verificationId: conv })).toMatchObject({ k: 'chat-verify' });
    expect(parseBusEvent({ k: 'typing', orgId: org, ticketId: ticket, who: 'agent', userId: user, name: 'Sam' })).toMatchObject({ who: 'agent', name: 'Sam' });
    expect(parseBusEvent({ k: 'keys-destroyed', orgId: org, keyIds: [conv, user] })).toEqual({ k: 'keys-destroyed', orgId: org, keyIds: [conv, user] });
  });

  it('drops anything else: unknown kinds, bad ids, bad numbers, extra-long names, non-objects', () => {
    for (const bad of [
      null,
      'chat-seq',
      [],
      { k: 'chat-seq', orgId: 'x', conversationId: conv, ticketId: ticket, seq: 1 },
      { k: 'chat-seq', orgId: org, conversationId: conv, ticketId: ticket, seq: 0 },
      { k: 'chat-seq', orgId: org, conversationId: conv, ticketId: ticket, seq: 1.5 },
      { k: 'chat-seq', orgId: org, conversationId: "'; DROP", ticketId: ticket, seq: 1 },
      { k: 'typing', orgId: org, ticketId: ticket, who: 'system', userId: null, name: null },
      { k: 'typing', orgId: org, ticketId: ticket, who: 'agent', userId: user, name: 'x'.repeat(201) },
      { k: 'resync', orgId: org },
      { k: 'keys-destroyed', orgId: org, keyIds: 'all' },
      { k: 'keys-destroyed', orgId: org, keyIds: ['not-a-key'] },
      { k: 'keys-destroyed', orgId: org, keyIds: Array.from({ length: 1001 }, () => conv) },
    ]) {
      expect(parseBusEvent(bad)).toBeNull();
    }
  });
});

describe('LocalPresence', () => {
  it('merges a person seen on two instances (latest activity), forgets an instance that reports nobody, and ignores stale reports', async () => {
    const p = new LocalPresence();
    const now = 1_000_000_000;
    await p.report(org, 'a', [{ userId: user, activeAt: now - 5_000 }], now);
    await p.report(org, 'b', [{ userId: user, activeAt: now - 1_000 }], now);
    expect(await p.online(org, now)).toEqual(new Map([[user, now - 1_000]]));
    await p.report(org, 'b', [], now);
    expect(await p.online(org, now)).toEqual(new Map([[user, now - 5_000]]));
    expect((await p.online(org, now + SEEN_TTL_MS + 1)).size).toBe(0);
    expect((await p.online('another-org', now)).size).toBe(0);
  });

  it('counts someone as active for ten minutes after they last did something', () => {
    expect(isActive(0, IDLE_MS)).toBe(true);
    expect(isActive(0, IDLE_MS + 1)).toBe(false);
    expect(isActive(undefined)).toBe(false);
  });
});
