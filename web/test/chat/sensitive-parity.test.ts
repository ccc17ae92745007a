/**
 * The chat's pre-send check composes the DLP detectors itself (the full entry
 * point does not run in a browser; decision 0183). This holds it to the
 * server: on chat-like texts it finds exactly what detectSensitiveData finds
 * of the types the default policy redacts, and a text it cleaned holds
 * nothing the server would redact, so the server does not find the
 * placeholder itself and tell the customer again. (Integration tier: detect.ts imports
 * node:net.)
 */
import { describe, expect, it } from 'vitest';
import { detectSensitiveData } from '../../../src/protection/dlp/detect.js';
import { DEFAULT_DLP_POLICY, actionFor } from '../../../src/protection/dlp/redact.js';
import { cleanBeforeSending, findSensitive, REMOVED_BEFORE_SENDING } from '../../src/chat/sensitive.js';
import chat from '../../src/i18n/en/chat.js';

const TEXTS = [
  'Hi, my card is 4111 1111 1111 1111 and it was charged twice',
  'card 5555-5555-5555-4444 exp 09/28 cvv 737',
  'card number ４１１１ １１１１ １１１１ １１１１',
  'my password is Hunter2!x, please reset it',
  'pwd=Tr0ub4dor&3',
  'The code you sent is 482913',
  'verification code: 771 204',
  'here is my token ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  'api key sk_live_abcdefghijklmnop1234',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123def456ghi789',
  'IBAN GB82 WEST 1234 5698 7654 32 and card 4000056655665556',
  'Order 1234-5678-9012 shipped to 10.0.0.1; call 555 123 4567',
  'my ssn is 123-45-6789 and dob 14/03/1985',
  'no sensitive data here, just a question about my invoice #55512',
  'ticket 6b5d8f76-4931-4650-8590-bc85ca5eefe0 please',
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
];

const serverRedacts = (text: string) => detectSensitiveData(text).filter((f) => actionFor(DEFAULT_DLP_POLICY, f.type) === 'redact');

describe('pre-send check against the server detector', () => {
  it('covers exactly the types the default policy redacts', () => {
    const redacted = Object.entries(DEFAULT_DLP_POLICY.actions).filter(([, a]) => a === 'redact').map(([t]) => t).sort();
    expect([...REMOVED_BEFORE_SENDING].sort()).toEqual(redacted);
  });

  it('finds the same spans as detectSensitiveData on chat-like texts', () => {
    for (const text of TEXTS) expect(findSensitive(text), text).toEqual(serverRedacts(text));
  });

  it('leaves nothing in a cleaned text that the server would redact, placeholder included', () => {
    for (const text of TEXTS) {
      const cleaned = cleanBeforeSending(text, chat['chat.sensitive.placeholder']);
      expect(serverRedacts(cleaned.text), `${text} → ${cleaned.text}`).toEqual([]);
    }
  });
});
