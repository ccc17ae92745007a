/**
 * The chat frame's edges (web/src/chat): which parameters it runs with, which
 * messages from the embedding page it accepts, how server frames are read,
 * the reconnect backoff, saved conversations and the notice wording.
 */
import { describe, expect, it } from 'vitest';
import { originOf, readFrameParams, readHostMessage } from '../../src/chat/host.js';
import { offersSecureLink, problemText, removalSentences } from '../../src/chat/notices.js';
import { newClientId, readServerFrame, reconnectDelay, socketUrl } from '../../src/chat/protocol.js';
import { forgetChat, loadChat, reviveSaved, saveChat, storageKey, type KeyValueStore, type SavedChat } from '../../src/chat/storage.js';
import { addPending, emptyChat } from '../../src/chat/store.js';

const ORG = '0b0e6a52-3c3f-4f4e-9a55-7d1c2b9f6e01';
const OWN = 'https://help.example.com';
const HOST = 'https://www.example.com';

describe('frame parameters', () => {
  it('runs for an organisation id and the embedding origin', () => {
    expect(readFrameParams(`?org=${ORG}&host=${encodeURIComponent(HOST)}`, OWN, null)).toEqual({ orgId: ORG, host: HOST, portal: false });
    expect(readFrameParams(`?org=${ORG}&host=${encodeURIComponent(HOST)}`, OWN, HOST)).toEqual({ orgId: ORG, host: HOST, portal: false });
  });

  it('inside the portal, the host is Trustdesk itself', () => {
    expect(readFrameParams(`?org=${ORG}&portal=1`, OWN, OWN)).toEqual({ orgId: ORG, host: OWN, portal: true });
    expect(readFrameParams(`?org=${ORG}&portal=1&host=${encodeURIComponent(HOST)}`, OWN, null)).toBeNull();
  });

  it('refuses a missing or malformed organisation or host, and a host the browser contradicts', () => {
    expect(readFrameParams(`?host=${encodeURIComponent(HOST)}`, OWN, null)).toBeNull();
    expect(readFrameParams(`?org=not-an-id&host=${encodeURIComponent(HOST)}`, OWN, null)).toBeNull();
    expect(readFrameParams(`?org=${ORG}`, OWN, null)).toBeNull();
    expect(readFrameParams(`?org=${ORG}&host=javascript%3Aalert(1)`, OWN, null)).toBeNull();
    expect(readFrameParams(`?org=${ORG}&host=${encodeURIComponent(HOST)}`, OWN, 'https://evil.example')).toBeNull();
  });

  it('reads origins exactly as browsers write them', () => {
    expect(originOf('https://www.example.com:443/page?x=1')).toBe('https://www.example.com');
    expect(originOf('http://localhost:8080')).toBe('http://localhost:8080');
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(originOf('')).toBeNull();
  });
});

describe('messages from the embedding page', () => {
  const parent = {};
  const from = (origin: string, source: unknown, data: unknown) => readHostMessage({ origin, source, data }, HOST, parent);

  it('accepts an identity token and "opened" from the host origin and the parent window only', () => {
    expect(from(HOST, parent, { type: 'trustdesk-identity', token: 'eyJ.a.b' })).toEqual({ type: 'identity', token: 'eyJ.a.b' });
    expect(from(HOST, parent, { type: 'trustdesk-open' })).toEqual({ type: 'open' });
    expect(from('https://evil.example', parent, { type: 'trustdesk-identity', token: 'x' })).toBeNull();
    expect(from(HOST, {}, { type: 'trustdesk-identity', token: 'x' })).toBeNull();
    expect(from(HOST, parent, { type: 'trustdesk-identity', token: '' })).toBeNull();
    expect(from(HOST, parent, { type: 'trustdesk-identity', token: 'x'.repeat(9000) })).toBeNull();
    expect(from(HOST, parent, 'trustdesk-identity')).toBeNull();
  });
});

describe('server frames', () => {
  it('reads each frame of the contract', () => {
    expect(readServerFrame('{"type":"ready","status":"active","lastSeq":4,"agent":{"name":"Sam"}}')).toEqual({ type: 'ready', status: 'active', lastSeq: 4, agent: { name: 'Sam' } });
    expect(readServerFrame('{"type":"ack","clientId":"c","seq":5,"redacted":["payment_card"]}')).toEqual({ type: 'ack', clientId: 'c', seq: 5, redacted: ['payment_card'] });
    expect(readServerFrame(JSON.stringify({ type: 'message', seq: 6, id: 'm', clientId: null, author: 'agent', name: 'Sam', body: 'Hi', at: 'T', redacted: [], attachments: [{ id: 'f', filename: 'a.pdf', size: 10, dangerous: false }] }))).toMatchObject({ seq: 6, author: 'agent', attachments: [{ filename: 'a.pdf' }] });
    expect(readServerFrame('{"type":"verify","verificationId":"v","sentTo":"j•••@example.com","expiresAt":"T"}')).toEqual({ type: 'verify', verificationId: 'v', sentTo: 'j•••@example.com', expiresAt: 'T' });
    expect(readServerFrame('{"type":"verify-result","status":"verified"}')).toEqual({ type: 'verify-result', status: 'verified' });
    expect(readServerFrame('{"type":"error","code":"rate_limited"}')).toEqual({ type: 'error', code: 'rate_limited', detail: '' });
    expect(readServerFrame('{"type":"status","status":"ended","agent":null}')).toEqual({ type: 'status', status: 'ended', agent: null });
  });

  it('skips what it does not understand instead of failing', () => {
    for (const raw of ['not json', '[]', '{"type":"unknown"}', '{"type":"message","seq":-1,"id":"m","author":"agent"}', '{"type":"message","seq":1,"id":"m","author":"robot"}', '{"type":"ready","status":"lost","lastSeq":1}', '{"type":"ack","clientId":"c"}', '{"type":"verify-result","status":"maybe"}']) {
      expect(readServerFrame(raw), raw).toBeNull();
    }
    expect(readServerFrame(new ArrayBuffer(4))).toBeNull();
  });
});

describe('client ids', () => {
  it('are RFC 4122 version 4 UUIDs, different each time', () => {
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(newClientId()).toMatch(v4);
    expect(newClientId((b) => b.fill(255))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(newClientId()).not.toBe(newClientId());
  });
});

describe('reconnecting', () => {
  it('backs off from about a second to at most 30 s, with jitter in the upper half', () => {
    expect(reconnectDelay(0, 0)).toBe(500);
    expect(reconnectDelay(0, 1)).toBe(1000);
    expect(reconnectDelay(3, 0.5)).toBe(6000);
    expect(reconnectDelay(20, 1)).toBe(30_000);
    expect(reconnectDelay(20, 0)).toBe(15_000);
  });

  it('opens the socket on the frame own origin', () => {
    expect(socketUrl({ protocol: 'https:', host: 'help.example.com' })).toBe('wss://help.example.com/api/chat/socket');
    expect(socketUrl({ protocol: 'http:', host: 'localhost:3000' })).toBe('ws://localhost:3000/api/chat/socket');
  });
});

describe('saved conversations', () => {
  const saved = { conversationId: 'c', token: 'tdc_x', expiresAt: '2026-12-03T09:00:00.000Z', identity: { kind: 'site', name: 'Ada' }, status: 'active', agentName: 'Sam', verified: false, chat: addPending(emptyChat(), 'p', 'hi') };

  it('resumes a saved conversation until its token expires', () => {
    expect(reviveSaved(JSON.stringify(saved), Date.parse('2026-12-03T08:00:00Z'))).toMatchObject({ token: 'tdc_x', identity: { kind: 'site' }, chat: { pending: [{ clientId: 'p' }] } });
    expect(reviveSaved(JSON.stringify(saved), Date.parse('2026-12-03T09:00:01Z'))).toBeNull();
    expect(reviveSaved('{broken', 0)).toBeNull();
    expect(reviveSaved(JSON.stringify({ ...saved, identity: { kind: 'admin' }, status: 'weird' }), 0)).toMatchObject({ identity: { kind: 'anonymous' }, status: 'waiting' });
  });

  it('works without storage, or with storage that refuses, for as long as the page is open', () => {
    const refusing: KeyValueStore = { getItem: () => { throw new Error('SecurityError'); }, setItem: () => { throw new Error('QuotaExceededError'); }, removeItem: () => { throw new Error('SecurityError'); } };
    const value = reviveSaved(JSON.stringify(saved), 0) as SavedChat;
    for (const store of [null, refusing]) {
      expect(() => saveChat(store, 'k', value)).not.toThrow();
      expect(loadChat(store, 'k')).toBeNull();
      expect(() => forgetChat(store, 'k')).not.toThrow();
    }
    const map = new Map<string, string>();
    const working: KeyValueStore = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
    saveChat(working, 'k', { ...value, expiresAt: '2999-01-01T00:00:00.000Z' });
    expect(loadChat(working, 'k')?.token).toBe('tdc_x');
    forgetChat(working, 'k');
    expect(loadChat(working, 'k')).toBeNull();
  });

  it('keeps one conversation per organisation and embedding site, and one for the portal', () => {
    expect(storageKey(ORG, HOST, false)).not.toBe(storageKey(ORG, 'https://other.example', false));
    expect(storageKey(ORG, OWN, true)).toBe(`trustdesk-chat:${ORG}:portal`);
  });
});

describe('notices', () => {
  it('names each removal in plain words and offers a secure link for card details and keys', () => {
    expect(removalSentences(['card'])).toEqual(['We removed a card number from your message. Never share card details in chat — ask us for a secure link instead.']);
    expect(offersSecureLink(['card'])).toBe(true);
    expect(offersSecureLink(['password'])).toBe(false);
    expect(offersSecureLink(['code', 'secret'])).toBe(true);
  });

  it('reads problems as the server detail, or plain text for the known cases', () => {
    expect(problemText('rate_limited', 'Too many requests')).toBe("You're sending messages too fast. Wait a moment, then try again.");
    expect(problemText('payload_too_large', 'Files can be at most 10 MB.')).toBe('Files can be at most 10 MB.');
    expect(problemText('internal', '')).toBe('Something went wrong. Try again in a moment.');
    expect(problemText('network', '')).toMatch(/could not reach/);
  });
});
