import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../engine.js';
import { buildContext, buildMessage } from '../testing.js';
import { DEFAULT_LIMITS, LearnedModel, ModelFormatError, labellerBit } from './model.js';
import { learningTokens, MAX_TOKENS_PER_MESSAGE } from './tokens.js';

const PHISH = ['w:verify', 'w:mailbox', 'w:suspended', 'h:evil-login.top', 's:urgent'];
const HAM = ['w:parcel', 'w:tracking', 'w:thanks', 'f:acme-corp.com', 's:order'];
/** Two labellers whose bits differ (a 32-bit mask can make two ids collide). */
const [ANA, BEN, CAI] = (() => {
  const ids: string[] = [];
  for (let i = 0; ids.length < 3; i++) {
    const id = `user-${i}`;
    if (!ids.some((o) => labellerBit(o) === labellerBit(id))) ids.push(id);
  }
  return ids as [string, string, string];
})();

/** n labels of each class, given alternately by the labellers. */
function trained(n: number, phishBy: readonly string[], hamBy: readonly string[], model = new LearnedModel()): LearnedModel {
  for (let i = 0; i < n; i++) {
    model.learn([...PHISH, `w:p${i}`], 'phish', phishBy[i % phishBy.length]!);
    model.learn([...HAM, `w:h${i}`], 'ham', hamBy[i % hamBy.length]!);
  }
  return model;
}

describe('learned model', () => {
  it('says nothing until each class has enough labels from two people', () => {
    const m = trained(4, [ANA, BEN], [ANA, BEN]);
    expect(m.predict(PHISH)).toMatchObject({ active: false, probability: 0.5 });
    trained(1, [ANA, BEN], [ANA, BEN], m);
    expect(m.predict(PHISH).active).toBe(true);
    expect(m.predict(PHISH).probability).toBeGreaterThan(0.9);
    expect(m.predict(HAM).probability).toBeLessThan(0.1);
  });

  it('cannot be moved by one person: a token needs two labellers of a class', () => {
    // Ana alone reports; Ana and Ben both label legitimate mail.
    const m = trained(40, [ANA], [ANA, BEN]);
    const p = m.predict(PHISH);
    expect(m.status().labellers.phish).toBe(1);
    expect(p.active).toBe(false);
    // A second reporter who reports something else: the model is active, Ana's tokens still are not evidence.
    m.learn(['w:other'], 'phish', BEN);
    m.learn(['w:other2'], 'phish', BEN);
    const after = m.predict(PHISH);
    expect(after.active).toBe(true);
    expect(after.clues.filter((c) => c.probability > 0.5)).toEqual([]);
  });

  it('an insider releasing phishing alone cannot whitelist it', () => {
    const m = trained(20, [ANA, BEN], [ANA, BEN]);
    for (let i = 0; i < 50; i++) m.learn([...PHISH, `w:rogue${i}`], 'ham', CAI);
    // Cai's ham counts on the phishing tokens are one labeller's: not evidence.
    expect(m.predict(PHISH).probability).toBeGreaterThan(0.9);
  });

  it('speaks for phishing only with at least half as many legitimate labels as phishing ones', () => {
    const m = trained(10, [ANA, BEN], [ANA, BEN]);
    for (let i = 0; i < 30; i++) m.learn([...PHISH, `w:q${i}`], 'phish', i % 2 ? ANA : BEN);
    expect(m.status()).toMatchObject({ active: true, balanced: false });
    expect(m.predict(PHISH).balanced).toBe(false);
  });

  it('refuses a labeller beyond the daily cap, and takes their labels again the next day', () => {
    const m = new LearnedModel({ ...DEFAULT_LIMITS, dailyCap: 3 });
    const day1 = new Date('2026-12-01T10:00:00Z');
    const results = Array.from({ length: 5 }, (_, i) => m.learn([`w:t${i}`], 'phish', ANA, { at: day1 }));
    expect(results).toEqual(['learned', 'learned', 'learned', 'capped', 'capped']);
    expect(m.status().labels.phish).toBe(3);
    expect(m.learn(['w:x'], 'phish', BEN, { at: day1 })).toBe('learned');
    expect(m.learn(['w:y'], 'phish', ANA, { at: new Date('2026-12-02T10:00:00Z') })).toBe('learned');
    // Taking a label back is never refused: over the cap, the old label still leaves the model.
    for (let i = 0; i < 3; i++) m.learn([`w:z${i}`], 'ham', CAI, { at: day1 });
    const before = m.status().labels;
    expect(m.learn(['w:t0'], 'ham', CAI, { at: day1, replacing: 'phish' })).toBe('capped');
    expect(m.status().labels).toEqual({ phish: before.phish - 1, ham: before.ham });
  });

  it('a new label replaces the old one (a report overturned as not phishing counts once, as legitimate)', () => {
    const m = new LearnedModel();
    m.learn(PHISH, 'phish', ANA);
    m.learn(PHISH, 'ham', BEN, { replacing: 'phish' });
    expect(m.status().labels).toEqual({ phish: 0, ham: 1 });
    const json = m.toJSON() as { tokens: Array<[string, number, number]> };
    for (const [, p, h] of json.tokens) expect([p, h]).toEqual([0, 1]);
  });

  it('counts a token once per message however often it is written', () => {
    const m = new LearnedModel();
    m.learn(Array.from({ length: 10_000 }, () => 'w:spam'), 'phish', ANA);
    expect((m.toJSON() as { tokens: unknown[][] }).tokens).toEqual([['w:spam', 1, 0, labellerBit(ANA), 0, expect.any(Number)]]);
  });

  it('stays within its token limit, dropping the least used first', () => {
    const m = new LearnedModel({ ...DEFAULT_LIMITS, maxTokens: 100 });
    for (let i = 0; i < 3; i++) m.learn(['w:common'], 'phish', ANA);
    for (let i = 0; i < 50; i++) m.learn(Array.from({ length: 10 }, (_, k) => `w:${i}-${k}`), 'ham', BEN);
    expect(m.status().tokens).toBeLessThanOrEqual(100);
    expect((m.toJSON() as { tokens: unknown[][] }).tokens.some((t) => t[0] === 'w:common')).toBe(true);
  });

  it('round-trips through its stored form and refuses anything else', () => {
    const m = trained(8, [ANA, BEN], [ANA, BEN]);
    const copy = LearnedModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(copy.predict(PHISH)).toEqual(m.predict(PHISH));
    expect(copy.status()).toEqual(m.status());
    const good = m.toJSON() as Record<string, unknown>;
    const bad: unknown[] = [
      null,
      'model',
      { ...good, format: 'other' },
      { ...good, version: 2 },
      { ...good, labels: [-1, 3] },
      { ...good, tokens: [['w:x', 1, 2, 3]] },
      { ...good, tokens: [['w:x', 1.5, 0, 0, 0, 0]] },
      { ...good, tokens: 'x' },
    ];
    for (const b of bad) expect(() => LearnedModel.fromJSON(b), JSON.stringify(b)?.slice(0, 60)).toThrow(ModelFormatError);
    expect(() => LearnedModel.fromJSON({ ...good, tokens: Array.from({ length: 11 }, (_, i) => [`w:${i}`, 1, 0, 1, 0, 0]) }, { ...DEFAULT_LIMITS, maxTokens: 10 })).toThrow(ModelFormatError);
  });
});

describe('learning tokens', () => {
  const base = { subject: 'Your mailbox is suspended', text: '', hrefs: [], senderDomain: 'evil.top', reasons: [], attachments: [] };

  it('are sender and link domains, reasons, attachment types and words, each once and kind-prefixed', () => {
    const t = learningTokens({
      ...base,
      text: 'Verify verify VERIFY your mailbox now, order 123456 expires 2026-12-01',
      hrefs: ['https://login.evil-host.top/x?y', 'http://192.0.2.1/a', 'mailto:x@y.z'],
      reasons: [{ code: 'link.ip_host', weight: 0.4, evidence: '' }, { code: 'content.learned_phishing', weight: 0.5, evidence: '' }, { code: 'sender.allowed', weight: 0, evidence: '' }],
      attachments: [{ filename: 'Invoice.PDF.html', contentType: 'text/html', size: 10 }],
    });
    expect(t).toEqual(expect.arrayContaining(['f:evil.top', 'h:evil-host.top', 'h:ip', 'r:link.ip_host', 'a:html', 's:mailbox', 's:suspended', 'w:verify', 'w:num']));
    expect(t.filter((x) => x === 'w:verify')).toHaveLength(1);
    // The model's own reasons never feed it; reasons that said nothing are not features.
    expect(t.some((x) => x.includes('learned') || x === 'r:sender.allowed')).toBe(false);
  });

  it('are bounded for any text', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `word${i.toString(36)}`).join(' ');
    const t = learningTokens({ ...base, text });
    expect(t.length).toBe(MAX_TOKENS_PER_MESSAGE);
    expect(new Set(t).size).toBe(t.length);
  });
});

describe('the engine with a learned model', () => {
  const lure = buildMessage({ from: { name: 'IT Desk', address: 'it@mailer-x.example' }, subject: 'Mailbox quota notice', text: 'Your mailbox quota is exceeded, revalidate here today' });
  const reply = buildMessage();
  const tokensOf = (m: typeof lure) => analyzeMessage(m, buildContext(), { collectTokens: true }).tokens!;

  function modelFor(phishTokens: string[], hamTokens: string[]): LearnedModel {
    const m = new LearnedModel();
    for (let i = 0; i < 10; i++) {
      m.learn([...phishTokens, `w:p${i}`], 'phish', i % 2 ? ANA : BEN);
      m.learn([...hamTokens, `w:h${i}`], 'ham', i % 2 ? ANA : BEN);
    }
    return m;
  }

  it('warns on mail like what the team reported, names why, and never quarantines on that alone', () => {
    const model = modelFor(tokensOf(lure), tokensOf(reply));
    const a = analyzeMessage(lure, buildContext({ learned: { model, key: (t) => t } }));
    const r = a.reasons.find((x) => x.code === 'content.learned_phishing');
    expect(r?.evidence).toMatch(/reported as phishing \(.*(mailbox|quota).*\)/);
    expect(a.verdict).toBe('suspicious');
    expect(analyzeMessage(reply, buildContext({ learned: { model, key: (t) => t } })).reasons.some((x) => x.code === 'content.learned_phishing')).toBe(false);
  });

  it('lowers a weak score for mail like what the team marked safe, but never a strong one', () => {
    const weak = buildMessage({ subject: 'URGENT: action required today', text: 'Please confirm the delivery address for order 991 today. Regards, Fastship' });
    const plain = analyzeMessage(weak, buildContext());
    expect(plain.score).toBeGreaterThan(0);
    const model = modelFor(['w:unrelated', 'h:evil.top'], tokensOf(weak));
    const learned = analyzeMessage(weak, buildContext({ learned: { model, key: (t) => t } }));
    expect(learned.score).toBeLessThan(plain.score);
    expect(learned.reasons.find((x) => x.code === 'learned.not_phishing')?.evidence).toMatch(/not phishing .* score lowered from \d+ to \d+/);

    const blocked = buildContext({ blockList: ['acme-corp.com'], learned: { model, key: (t) => t } });
    const strong = analyzeMessage(weak, blocked);
    expect(strong.verdict).toBe('phishing');
    expect(strong.reasons.some((x) => x.code === 'learned.not_phishing')).toBe(false);
  });
});
