import { describe, expect, it } from 'vitest';
import { redactRawMessage } from './raw.js';

const PAN = '4111111111111111';

describe('raw message redaction', () => {
  it('redacts a card number in plain text in place', async () => {
    const raw = Buffer.from(`From: a@b.c\r\nSubject: card ${PAN}\r\n\r\nmy card ${PAN}\r\n`);
    const r = await redactRawMessage(raw, { redactedTypes: ['payment_card'], redactedBody: 'my card 411111******1111' });
    expect(r.rebuilt).toBe(false);
    expect(r.raw.toString()).not.toContain(PAN);
    expect(r.raw.toString()).toContain('From: a@b.c');
  });
  it('rebuilds the raw when an encoding hides the number (base64 body)', async () => {
    const b64 = Buffer.from(`my card ${PAN} thanks`).toString('base64');
    const raw = Buffer.from(`From: a@b.c\r\nSubject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`);
    const r = await redactRawMessage(raw, { redactedTypes: ['payment_card'], redactedBody: 'my card 411111******1111 thanks' });
    expect(r.rebuilt).toBe(true);
    const decoded = Buffer.from(r.raw.toString().split('\r\n\r\n')[1]!.replace(/\s/g, ''), 'base64').toString();
    expect(decoded).toBe('my card 411111******1111 thanks');
    expect(r.raw.toString()).not.toContain(b64);
  });
  it('rebuilds the raw when the HTML part writes the number as character references', async () => {
    const refs = PAN.replace(/[0-9]/g, (d) => `&#${48 + Number(d)};`);
    const raw = Buffer.from(`From: a@b.c\r\nSubject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<p>card ${refs}</p>\r\n`);
    const r = await redactRawMessage(raw, { redactedTypes: ['payment_card'], redactedBody: 'card 411111******1111' });
    expect(r.rebuilt).toBe(true);
    expect(r.raw.toString()).not.toContain(refs);
  });

  it('rebuilds as text only when an attachment may not be kept', async () => {
    const raw = Buffer.from('From: a@b.c\r\nSubject: hi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n');
    const r = await redactRawMessage(raw, { redactedTypes: [], redactedBody: 'hello', withoutAttachments: true });
    expect(r.rebuilt).toBe(true);
    expect(r.raw.toString()).not.toContain('JVBERi0');
  });
});
