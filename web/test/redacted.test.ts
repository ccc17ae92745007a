/**
 * People never read a raw `[redacted:…]` token: the agent console and the
 * portal show a readable marker in its place (web/src/ui/redacted.tsx renders
 * these pieces).
 */
import { describe, expect, it } from 'vitest';
import { readableRedactions, splitRedactions } from '../src/ui/redaction-markers.js';

describe('redaction markers', () => {
  it('turns each token into a marker naming what was removed, keeping the text around it', () => {
    expect(splitRedactions('Your code is [redacted:one_time_code], card 4111 11** **** 1111.')).toEqual([
      { text: 'Your code is ' },
      { marker: 'one-time code removed' },
      { text: ', card 4111 11** **** 1111.' },
    ]);
  });

  it('names an unknown type generically and leaves text without tokens alone', () => {
    expect(readableRedactions('a [redacted:brand_new] b [redacted:password]')).toBe('a [sensitive data removed] b [password removed]');
    expect(splitRedactions('nothing to see')).toEqual([{ text: 'nothing to see' }]);
    expect(readableRedactions('[redacted:NOT A TOKEN]')).toBe('[redacted:NOT A TOKEN]');
  });
});
