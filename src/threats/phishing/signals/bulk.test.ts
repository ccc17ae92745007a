import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../engine.js';
import { buildContext, buildMessage } from '../testing.js';
import { normalizeWords } from '../text.js';
import { bulkReasons, littleTextReason, readableWordCount } from './bulk.js';

const headers = (entries: Array<[string, string]>) => new Map(entries.map(([k, v]) => [k, [v]]));

describe('bulkReasons', () => {
  it('notes unsubscribe wording without a List-Unsubscribe header', () => {
    const r = bulkReasons({ headers: headers([]), normalized: normalizeWords('Great deals inside. Click here to unsubscribe.'), linkCount: 2 });
    expect(r.map((x) => x.code)).toEqual(['bulk.unsubscribe_without_header']);
    expect(r[0]!.evidence).toContain('"unsubscribe"');
  });

  it('finds the wording in other languages', () => {
    for (const t of ['Klicken Sie hier, um sich abzumelden oder den Newsletter abbestellen', 'Pour vous désinscrire cliquez ici', 'Para darse de baja pulse aquí', 'Clique aqui para descadastrar', 'Klik hier om af te melden of uitschrijven']) {
      expect(bulkReasons({ headers: headers([]), normalized: normalizeWords(t), linkCount: 1 }).length, t).toBe(1);
    }
  });

  it('stays quiet when the header is present, or when there is nothing to click', () => {
    const n = normalizeWords('To unsubscribe from this list, follow the link.');
    expect(bulkReasons({ headers: headers([['list-unsubscribe', '<https://news.example.org/u/1>']]), normalized: n, linkCount: 3 })).toEqual([]);
    expect(bulkReasons({ headers: headers([]), normalized: normalizeWords('How do I unsubscribe from your newsletter?'), linkCount: 0 })).toEqual([]);
  });

  it('does not read a delivery report as bulk mail: its "unsubscribe" belongs to the returned copy', () => {
    const report = headers([['content-type', 'multipart/report; report-type=delivery-status; boundary="b"']]);
    expect(bulkReasons({ headers: report, normalized: normalizeWords('Delivery failed. --- Original message --- Click here to unsubscribe.'), linkCount: 2 })).toEqual([]);
  });

  it('notes a sender-set high priority in its several header forms', () => {
    for (const [k, v] of [['x-priority', '1 (Highest)'], ['importance', 'High'], ['x-msmail-priority', 'High']] as Array<[string, string]>) {
      expect(bulkReasons({ headers: headers([[k, v]]), normalized: ' ', linkCount: 0 }).map((x) => x.code)).toEqual(['bulk.high_priority']);
    }
    expect(bulkReasons({ headers: headers([['x-priority', '3 (Normal)']]), normalized: ' ', linkCount: 0 })).toEqual([]);
  });

  it('does not flag a message on either signal alone', () => {
    const html = '<p>Our spring catalogue is out.</p><a href="https://shop.example.net/spring">See it</a><p><a href="https://shop.example.net/u">Unsubscribe</a></p>';
    const msg = buildMessage({ from: { name: 'Shop', address: 'news@shop.example.net' }, subject: 'Spring catalogue', html, text: '', headers: headers([['x-priority', '1']]) });
    expect(analyzeMessage(msg, buildContext()).verdict).toBe('clean');
  });
});

describe('littleTextReason', () => {
  it('notes a message that says almost nothing beside a link to another site', () => {
    const r = littleTextReason({ words: readableWordCount('Please see the document https://drive.example.net/file/d/abc/preview', 12), links: [{ href: 'https://drive.example.net/file/d/abc/preview', text: '' }], senderDomain: 'gmail.com' });
    expect(r?.code).toBe('bulk.little_text');
    expect(r?.evidence).toContain('drive.example.net');
    const msg = buildMessage({ from: { name: 'Mary', address: 'mary@acme-corp.com' }, subject: 'Document', text: 'See here https://files.example.net/d/1', html: '' });
    expect(analyzeMessage(msg, buildContext()).reasons.map((x) => x.code)).toContain('bulk.little_text');
  });

  it('does not count link addresses as words, and stays quiet for a short note to the sender\'s own site or a longer message', () => {
    expect(readableWordCount('https://a.example.net/one/two/three/four/five/six/seven/eight/nine/ten/eleven/twelve', 12)).toBe(0);
    const links = [{ href: 'https://www.acme-corp.com/orders/1234', text: 'your order' }];
    expect(littleTextReason({ words: 4, links, senderDomain: 'acme-corp.com' })).toBeNull();
    expect(littleTextReason({ words: 12, links: [{ href: 'https://other.example.net/x', text: '' }], senderDomain: 'acme-corp.com' })).toBeNull();
    expect(littleTextReason({ words: 3, links: [{ href: 'mailto:someone@other.example.net', text: '' }], senderDomain: 'acme-corp.com' })).toBeNull();
  });
});
