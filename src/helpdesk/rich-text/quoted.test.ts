import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { foldQuotedHtml, quotedHtmlStart, quotedTextStart, splitQuotedText } from './quoted.js';

const HAM = '/work/shared/data/phishing/ham-modern/';
const sample = async (file: string) => simpleParser(readFileSync(`${HAM}${file}`));

describe('quoted history in plain text', () => {
  it('Gmail and Apple Mail replies: the attribution line and the ">" block fold, the new text stays (real mails)', async () => {
    for (const file of ['talon-gmail.eml', 'talon-apple_mail.eml']) {
      const mail = await sample(file);
      const { text, quoted } = splitQuotedText(mail.text ?? '');
      expect(text).toBe('Hello');
      expect(quoted).toMatch(/^On .* wrote:/);
      expect(quoted).toContain('> Hi');
    }
  });
  it('Outlook in German: the "Von:/Gesendet:/An:/Betreff:" block folds (real mail)', async () => {
    const mail = await sample('zammad-mail003.eml');
    const body = mail.text ?? '';
    const at = quotedTextStart(body);
    expect(at).not.toBeNull();
    expect(body.slice(at as number)).toMatch(/^Von: Fritz Bauer/);
    expect(body.slice(0, at as number).trim().length).toBeGreaterThan(10);
  });
  it('Outlook in English, with its rule, and "Original Message" rules', () => {
    const outlook = 'Thanks, that worked.\r\n\r\n________________________________\r\nFrom: Support <help@shop.example>\r\nSent: Tuesday, 3 March 2026 10:00\r\nTo: Ada <ada@example.org>\r\nSubject: Re: Order 1234\r\n\r\nDear Ada,\r\nplease restart the router.';
    expect(splitQuotedText(outlook)).toEqual({ text: 'Thanks, that worked.', quoted: outlook.slice(outlook.indexOf('____')) });
    const original = 'See below.\n\n-----Original Message-----\nFrom: Bob\nwhatever';
    expect(splitQuotedText(original).text).toBe('See below.');
    expect(splitQuotedText('Fwd below\n-------- Forwarded Message --------\nSubject: x').quoted).toMatch(/^-------- Forwarded/);
  });
  it('an attribution wrapped over two lines, and other languages', () => {
    const wrapped = 'Yes please.\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Megan One <\nxxx@gmail.com> wrote:\n\n> Hi\n';
    expect(splitQuotedText(wrapped).text).toBe('Yes please.');
    expect(splitQuotedText('Merci.\n\nLe 3 mars 2026 à 10:00, Support <s@x.example> a écrit :\n> Bonjour\n').text).toBe('Merci.');
    expect(splitQuotedText('Danke.\n\nAm 03.03.2026 um 10:00 schrieb Support <s@x.example>:\n> Hallo\n').text).toBe('Danke.');
  });
  it('leaves alone: an inline reply between quoted lines, a lone ">" in prose, a mail that is all quote, no history', () => {
    const inline = 'On Monday you wrote:\n> Is it broken?\nYes, since Friday.\n> Did you restart it?\nTwice.\n';
    expect(quotedTextStart(inline)).toBeNull();
    expect(quotedTextStart('The price went from 10 > 12 overnight.\nWhy?')).toBeNull();
    expect(quotedTextStart('> only a quote\n> nothing else\n')).toBeNull();
    expect(quotedTextStart('Hello,\nmy parcel never arrived.\nRegards, Ada')).toBeNull();
    expect(quotedTextStart('')).toBeNull();
    // "On" as an ordinary first word is not an attribution.
    expect(quotedTextStart('Hi,\nOn Tuesday the delivery failed.\nPlease call me.')).toBeNull();
  });
  it('a trailing ">" block after the new text folds even without an attribution', () => {
    expect(splitQuotedText('Done, thanks!\n\n> Please confirm\n> the address.\n\n')).toEqual({ text: 'Done, thanks!', quoted: '> Please confirm\n> the address.\n\n' });
  });
  it('stays fast on huge and hostile input', () => {
    const hostile = `${'On '.repeat(50_000)}\n${'> x\n'.repeat(20_000)}`;
    const t0 = Date.now();
    quotedTextStart(hostile);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('quoted history in HTML', () => {
  it('Gmail: the gmail_quote div (real mail)', async () => {
    const mail = await sample('talon-gmail.eml');
    const html = mail.html as string;
    const at = quotedHtmlStart(html);
    expect(html.slice(at as number)).toMatch(/^<div class="gmail_quote">/);
    const folded = foldQuotedHtml(html, 'Show quoted text');
    expect(folded).toMatch(/^Hello<br><br><details class="quoted"><summary>Show quoted text<\/summary><div class="gmail_quote">/);
  });
  it('Outlook: the rule before divRplyFwdMsg folds with it (real mail, German Outlook)', async () => {
    const mail = await sample('zammad-mail003.eml');
    const html = mail.html as string;
    const at = quotedHtmlStart(html);
    expect(at).not.toBeNull();
    expect(html.slice(0, at as number)).not.toContain('Gesendet');
  });
  it('Apple Mail blockquote type=cite, Thunderbird and Yahoo markers; none when nothing precedes or no marker', () => {
    expect(quotedHtmlStart('<p>Thanks</p><div>On … wrote:<br><blockquote type="cite">old</blockquote></div>')).toBe('<p>Thanks</p><div>On … wrote:<br>'.length);
    expect(quotedHtmlStart('<p>Ok</p><div class="moz-cite-prefix">On … wrote:</div><blockquote type="cite">x</blockquote>')).toBe('<p>Ok</p>'.length);
    expect(quotedHtmlStart('<p>Ok</p><div id="ydp1" class="yahoo_quoted">x</div>')).toBe('<p>Ok</p>'.length);
    expect(quotedHtmlStart('<p>Ok</p><hr style="x"><div id="divRplyFwdMsg">From:</div>')).toBe('<p>Ok</p>'.length);
    expect(quotedHtmlStart('<head><title>t</title></head><div class="gmail_quote">only history</div>')).toBeNull();
    expect(quotedHtmlStart('<p>A plain <blockquote>quote</blockquote> someone typed</p>')).toBeNull();
    expect(foldQuotedHtml('<p>no history</p>', 'x')).toBe('<p>no history</p>');
  });
  it('the summary text cannot inject markup', () => {
    expect(foldQuotedHtml('<p>a</p><blockquote type="cite">b</blockquote>', '<img src=x onerror=alert(1)>')).not.toContain('<img');
  });
});
