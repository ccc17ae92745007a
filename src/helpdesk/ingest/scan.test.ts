import { describe, expect, it } from 'vitest';
import { scanSensitiveData } from './scan.js';

describe('scanSensitiveData', () => {
  it('flags an address the customer wrote in the HTML, not one inside markup (cid: references, mailto targets)', () => {
    const html = '<p>Write to <a href="mailto:billing@customer.example">billing@customer.example</a></p><img src="cid:photo@customer.example">';
    const r = scanSensitiveData({ html });
    const emails = r.redactions.filter((x) => x.type === 'email');
    expect(emails).toHaveLength(1);
    expect(r.html.slice(emails[0]?.start, emails[0]?.end)).toBe('billing@customer.example');
    expect(emails[0]?.start).toBe(html.lastIndexOf('billing@customer.example'));
  });

  it('still redacts a card number wherever it sits in the HTML, attributes included', () => {
    const r = scanSensitiveData({ html: '<a title="4111 1111 1111 1111" href="#">card</a> and 5500 0000 0000 0004', body: 'plain' });
    expect(r.html).not.toContain('4111 1111 1111 1111');
    expect(r.html).not.toContain('5500 0000 0000 0004');
    expect(r.redactions.filter((x) => x.field === 'html' && x.action === 'redact')).toHaveLength(2);
    expect(r.redactedAny).toBe(true);
  });

  it('flags in text fields as before', () => {
    const r = scanSensitiveData({ subject: 'From <a@b.example>', body: 'mail me at someone@customer.example' });
    expect(r.redactions.map((x) => `${x.field}:${x.type}`)).toEqual(['subject:email', 'body:email']);
  });

  it('reads character references in the HTML body, so a card written as &#52;… is redacted there too', () => {
    const refs = (s: string) => s.replace(/[0-9]/g, (d) => `&#${48 + Number(d)};`);
    const html = `<p>Card ${['4297', '2559', '4628', '5297'].map(refs).join('&nbsp;')} thanks</p>`;
    const r = scanSensitiveData({ html });
    expect(r.redactedAny).toBe(true);
    expect(r.html).toBe('<p>Card 4297 25** **** 5297 thanks</p>');
  });
});
