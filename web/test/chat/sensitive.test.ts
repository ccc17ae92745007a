/**
 * The chat's pre-send check (web/src/chat/sensitive.ts): what the default
 * policy redacts is removed from the text before sending and named for the
 * notice; ordinary messages pass untouched; a placeholder left by an earlier
 * check never trips it again; a bare code is recognised for the code field.
 */
import { describe, expect, it } from 'vitest';
import { cleanBeforeSending, findSensitive, looksLikeCode, redactOwnCopy } from '../../src/chat/sensitive.js';

const P = '[removed]';

describe('pre-send check', () => {
  it('removes a card number however it is written, and its security code', () => {
    for (const text of ['my card is 4111 1111 1111 1111', 'card: 4111-1111-1111-1111', 'card ４１１１１１１１１１１１１１１１ please']) {
      const cleaned = cleanBeforeSending(text, P);
      expect(cleaned.removed, text).toEqual(['card']);
      expect(cleaned.text, text).not.toMatch(/\d{4}/);
      expect(cleaned.text, text).not.toMatch(/[４１]{4}/);
    }
    const withCvc = cleanBeforeSending('card 4111 1111 1111 1111 exp 12/29 cvc 123', P);
    expect(withCvc.text).toBe('card [removed] exp 12/29 cvc [removed]');
    expect(withCvc.removed).toEqual(['card']);
  });

  it('removes passwords, one-time codes and access tokens, naming each kind once', () => {
    expect(cleanBeforeSending('my password is Hunter2!x', P)).toEqual({ text: 'my password is [removed]', removed: ['password'] });
    expect(cleanBeforeSending('the code is 482913', P)).toEqual({ text: 'the code is [removed]', removed: ['code'] });
    expect(cleanBeforeSending('token ghp_abcdefghijklmnopqrstuvwxyz0123456789', P)).toEqual({ text: 'token [removed]', removed: ['secret'] });
    const both = cleanBeforeSending('password: Hunter2!x and card 4111111111111111, password: Other9?y', P);
    expect(both.removed).toEqual(['password', 'card']);
  });

  it('leaves ordinary messages, and what the policy only flags (an email, an order number), as they are', () => {
    for (const text of ['Hi, my order 123456789 has not arrived', 'Reach me at ada@example.com', 'I forgot my password, can you help?', 'Call me on 555 123 4567', 'It cost 1,299.00 on 14/03/2026']) {
      expect(cleanBeforeSending(text, P), text).toEqual({ text, removed: [] });
    }
  });

  it('lets a cleaned text through on the second try', () => {
    for (const text of ['my password is Hunter2!x', 'Password: Secret123 thanks', 'cvv 123 card 4111 1111 1111 1111', 'the code is 482913']) {
      const once = cleanBeforeSending(text, P);
      expect(once.removed.length, text).toBeGreaterThan(0);
      expect(cleanBeforeSending(once.text, P), text).toEqual({ text: once.text, removed: [] });
    }
  });

  it('finds types beyond the removed ones only when asked', () => {
    expect(findSensitive('write to ada@example.com')).toEqual([]);
    expect(findSensitive('write to ada@example.com', ['email']).map((f) => f.type)).toEqual(['email']);
  });

  it('reproduces the server redaction on the customer own copy, or keeps no text when it cannot', () => {
    expect(redactOwnCopy('card 4111 1111 1111 1111 thanks', ['payment_card'], P)).toBe('card [removed] thanks');
    // A phone number cannot be found in the browser; an unknown type neither.
    expect(redactOwnCopy('call 555 123 4567', ['phone'], P)).toBeNull();
    expect(redactOwnCopy('whatever', ['new_type'], P)).toBeNull();
    // The server found something this detector does not: keep nothing rather than the original.
    expect(redactOwnCopy('nothing to see', ['payment_card'], P)).toBeNull();
  });

  it('recognises a message that is only a verification code', () => {
    expect(looksLikeCode(' 482913 ')).toBe('482913');
    expect(looksLikeCode('482 913')).toBe('482913');
    expect(looksLikeCode('4829-13')).toBe('482913');
    expect(looksLikeCode('123')).toBeNull();
    expect(looksLikeCode('123456789')).toBeNull();
    expect(looksLikeCode('my code is 482913')).toBeNull();
  });
});
