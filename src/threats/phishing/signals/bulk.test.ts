import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../engine.js';
import { buildContext, buildMessage } from '../testing.js';
import { normalizeWords } from '../text.js';
import { bulkReasons } from './bulk.js';

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
