/**
 * The chat frame's message store (web/src/chat/store.ts): messages merge by
 * seq and never show twice, pending messages keep their clientId until acked,
 * and the resume point never passes a seq that was not seen.
 */
import { describe, expect, it } from 'vitest';
import { addPending, applyAck, applyMessage, applyReady, discardPending, emptyChat, failPending, isWithheld, KEEP_MESSAGES, markSent, reviveChat, toResend, type ChatState, type StoredMessage } from '../../src/chat/store.js';

const agent = (seq: number, body = `agent ${seq}`): StoredMessage => ({ seq, id: `m${seq}`, clientId: null, author: 'agent', name: 'Sam', body, at: '2026-12-03T08:00:00.000Z', redacted: [], attachments: [] });
const own = (seq: number, clientId: string, body: string, redacted: string[] = []): StoredMessage => ({ ...agent(seq, body), author: 'customer', name: '', clientId, redacted });
const keepText = (body: string) => body;
const NOW = '2026-12-03T08:01:00.000Z';

function ack(state: ChatState, clientId: string, seq: number, redacted: string[] = [], ownCopy: (b: string, r: readonly string[]) => string | null = keepText) {
  return applyAck(state, { clientId, seq, redacted }, ownCopy, NOW);
}

describe('chat store', () => {
  it('keeps messages in seq order, one per seq, the server copy replacing ours', () => {
    let s = emptyChat();
    s = applyMessage(s, agent(2));
    s = applyMessage(s, agent(1));
    s = applyMessage(s, agent(3));
    s = applyMessage(s, agent(2, 'again'));
    expect(s.messages.map((m) => [m.seq, m.body])).toEqual([[1, 'agent 1'], [2, 'again'], [3, 'agent 3']]);
    expect(s.lastSeq).toBe(3);
  });

  it('turns a pending message into the stored one on its ack, and ignores a second ack', () => {
    let s = addPending(emptyChat(), 'c1', 'hello');
    s = addPending(s, 'c1', 'hello');
    expect(s.pending).toHaveLength(1);
    s = ack(s, 'c1', 1);
    expect(s.pending).toEqual([]);
    expect(s.messages).toMatchObject([{ seq: 1, clientId: 'c1', author: 'customer', body: 'hello', at: NOW }]);
    const again = ack(s, 'c1', 1);
    expect(again.messages).toHaveLength(1);
  });

  it('settles a pending message when its own message frame arrives first, without a duplicate from the ack', () => {
    let s = addPending(emptyChat(), 'c1', 'hello');
    s = applyMessage(s, own(4, 'c1', 'hello'));
    expect(s.pending).toEqual([]);
    s = ack(s, 'c1', 4);
    expect(s.messages.filter((m) => m.clientId === 'c1')).toHaveLength(1);
  });

  it('resends every unacknowledged message after a reconnect, sent or not, in the order typed', () => {
    let s = addPending(emptyChat(), 'a', 'one');
    s = addPending(s, 'b', 'two');
    s = markSent(s, ['a']);
    expect(toResend(s).map((p) => [p.clientId, p.sent])).toEqual([['a', true], ['b', false]]);
    s = ack(s, 'a', 1);
    expect(toResend(s).map((p) => p.clientId)).toEqual(['b']);
  });

  it('stops resending once the chat ended, and lets the customer discard what was not sent', () => {
    let s = addPending(emptyChat(), 'a', 'one');
    s = failPending(s);
    expect(toResend(s)).toEqual([]);
    expect(s.pending[0]?.failed).toBe(true);
    s = discardPending(s, 'a');
    expect(s.pending).toEqual([]);
  });

  it('does not move the resume point past a seq not yet seen (an ack can overtake the agent message before it)', () => {
    let s = applyMessage(emptyChat(), agent(1));
    s = addPending(s, 'c', 'mine');
    s = ack(s, 'c', 3);
    expect(s.lastSeq).toBe(1);
    s = applyMessage(s, agent(2));
    expect(s.lastSeq).toBe(3);
  });

  it('closes a gap the server never fills once the catch-up after ready has passed it', () => {
    let s = applyMessage(emptyChat(), agent(1));
    s = applyMessage(s, agent(3));
    expect(s.lastSeq).toBe(1);
    s = applyReady(s, 5);
    expect(s.catchUpTo).toBe(5);
    s = applyMessage(s, agent(4));
    expect(s.lastSeq).toBe(1);
    s = applyMessage(s, agent(5));
    expect(s.lastSeq).toBe(5);
    expect(s.catchUpTo).toBeNull();
  });

  it('needs no catch-up when the server has nothing newer', () => {
    const s = applyReady(applyMessage(emptyChat(), agent(1)), 1);
    expect(s.catchUpTo).toBeNull();
    expect(s.lastSeq).toBe(1);
  });

  it('resumes after a reload with the same resume point, messages and pending, without duplicates', () => {
    let s = applyMessage(emptyChat(), agent(1));
    s = addPending(s, 'p', 'still sending');
    s = markSent(s, ['p']);
    const revived = reviveChat(JSON.parse(JSON.stringify(s)));
    expect(revived).toEqual({ ...s, catchUpTo: null });
    // The server resends seq 1 (after=1 excludes it, but a replay must not duplicate) and acks the resent message.
    let r = applyMessage(revived, agent(1));
    r = ack(r, 'p', 2);
    expect(r.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(r.pending).toEqual([]);
  });

  it('reads a damaged saved state as an empty or partial conversation, never throwing', () => {
    expect(reviveChat(null)).toEqual(emptyChat());
    expect(reviveChat('nonsense')).toEqual(emptyChat());
    expect(reviveChat({ lastSeq: -4, messages: [{ seq: 'x' }, agent(2)], pending: [{ clientId: 1 }] })).toEqual({ lastSeq: 0, catchUpTo: null, messages: [agent(2)], pending: [] });
  });

  it('keeps the server-redacted copy, or no text at all when it cannot reproduce the redaction', () => {
    let s = addPending(emptyChat(), 'a', 'pay with 4111 1111 1111 1111');
    s = addPending(s, 'b', 'call 555 0100');
    s = ack(s, 'a', 1, ['payment_card'], () => 'pay with [removed]');
    s = ack(s, 'b', 2, ['phone'], () => null);
    expect(s.messages.map((m) => m.body)).toEqual(['pay with [removed]', '']);
    expect(isWithheld(s.messages[1] as StoredMessage)).toBe(true);
    expect(isWithheld(s.messages[0] as StoredMessage)).toBe(false);
    // The server's own text, when the ack carries it, wins over any local copy.
    const withBody = applyAck(addPending(emptyChat(), 'c', 'x 4111111111111111'), { clientId: 'c', seq: 1, redacted: ['payment_card'], body: 'x 411111******1111' }, () => 'local', NOW);
    expect(withBody.messages[0]?.body).toBe('x 411111******1111');
  });

  it(`keeps at most ${KEEP_MESSAGES} messages, the newest`, () => {
    let s = emptyChat();
    for (let seq = 1; seq <= KEEP_MESSAGES + 5; seq++) s = applyMessage(s, agent(seq));
    expect(s.messages).toHaveLength(KEEP_MESSAGES);
    expect(s.messages[0]?.seq).toBe(6);
    expect(s.lastSeq).toBe(KEEP_MESSAGES + 5);
  });
});
