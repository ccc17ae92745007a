import { describe, expect, it } from 'vitest';
import { loadShippedModules } from '../../identity/training/shipped.js';
import { SHIPPED_TEMPLATES, findTemplate } from './shipped-templates.js';
import { checkTemplate, cleanValue, markFlags, renderTemplate, SAMPLE_VALUES, type SimulationTemplate } from './templates.js';

describe('simulation templates', () => {
  it('ships at least ten valid templates with unique ids, each with red flags found in the message', () => {
    expect(SHIPPED_TEMPLATES.length).toBeGreaterThanOrEqual(10);
    expect(new Set(SHIPPED_TEMPLATES.map((t) => t.id)).size).toBe(SHIPPED_TEMPLATES.length);
    for (const t of SHIPPED_TEMPLATES) expect(checkTemplate(t), t.id).toEqual([]);
    expect(new Set(SHIPPED_TEMPLATES.map((t) => t.difficulty))).toEqual(new Set([1, 2, 3]));
  });

  it('names a shipped training module as each template’s training topic', () => {
    const modules = new Set(loadShippedModules().map((m) => m.module.key));
    for (const t of SHIPPED_TEMPLATES) expect(modules.has(t.trainingTopic), `${t.id}: ${t.trainingTopic}`).toBe(true);
  });

  it('finds a flag that is not in the message, and an unknown variable', () => {
    const base = findTemplate('vendor-bank-details')!;
    const bad: SimulationTemplate = { ...base, redFlags: [...base.redFlags, { in: 'body', quote: 'not in this text', explanation: 'x' }] };
    expect(checkTemplate(bad).join()).toMatch(/not found in the body/);
    expect(checkTemplate({ ...base, body: `${base.body} {{password}}` }).join()).toMatch(/unknown template variable/);
    expect(checkTemplate({ ...base, body: 'x'.repeat(9000) }).join()).toMatch(/too long/);
  });

  it('strips CR/LF from header values and escapes HTML in the HTML body', () => {
    const t = findTemplate('shared-document')!;
    const hostile = {
      ...SAMPLE_VALUES,
      customerName: 'Eve\r\nBcc: victim@example.com\r\n\r\n<script>alert(1)</script>',
      agentName: '<img src=x onerror=alert(1)>',
      senderDomain: 'evil.example>\r\nX-Injected: 1',
    };
    const r = renderTemplate(t, hostile);
    for (const header of [r.subject, r.fromName, r.fromAddress]) expect(header).not.toMatch(/[\r\n]/);
    expect(r.fromAddress).toBe('share-noreply@evil.examplex-injected1');
    expect(r.html).not.toContain('<script');
    expect(r.html).toContain('&lt;script&gt;');
    expect(r.html.match(/<a /g)?.length).toBe(1);
    const gift = renderTemplate(findTemplate('executive-gift-cards')!, hostile);
    expect(gift.html).not.toContain('<img');
    expect(gift.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('bounds every variable and part', () => {
    expect(cleanValue('a'.repeat(10_000)).length).toBe(120);
    const r = renderTemplate(findTemplate('it-password-expiry')!, { ...SAMPLE_VALUES, agentName: 'A'.repeat(100_000), link: `https://x.example/${'b'.repeat(100_000)}` });
    expect(r.subject.length).toBeLessThanOrEqual(200);
    expect(r.text.length).toBeLessThanOrEqual(8000);
  });

  it('marks the red flags in the rendered text', () => {
    const parts = markFlags('please enable editing now', [{ quote: 'enable editing' }, { quote: 'absent' }]);
    expect(parts).toEqual([{ text: 'please ', flag: null }, { text: 'enable editing', flag: 0 }, { text: ' now', flag: null }]);
  });
});
