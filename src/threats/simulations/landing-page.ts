/**
 * The landing page a simulated link opens: this very message with its red
 * flags marked and explained, readable in under a minute, and the training
 * topic that teaches it. Server-rendered HTML with every value escaped; its one
 * script (served beside it, allowed by the 'self' CSP) tells the server that a
 * person, not a link scanner, opened it.
 */
import { escapeHtml, type MarkedPart } from './templates.js';
import type { LandingView } from './tracking.js';

function parts(ps: MarkedPart[]): string {
  return ps.map((p) => (p.flag === null ? escapeHtml(p.text) : `<mark title="Red flag ${p.flag + 1}">${escapeHtml(p.text)}<sup>${p.flag + 1}</sup></mark>`)).join('');
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

export function renderLandingPage(view: LandingView, trainingUrl: string): string {
  const body = parts(view.body).replace(/\n/g, '<br>');
  const flags = view.flags.map((f, i) => `<li><strong>${i + 1}.</strong> ${escapeHtml(f.explanation)}</li>`).join('');
  return page('This was a phishing simulation', `
<main>
<h1>This was a phishing simulation</h1>
<p>Nothing happened: this message was a test from your organisation's security team, and no data left your computer. Here is what could have given it away.</p>
<section aria-labelledby="msg"><h2 id="msg">The message you opened</h2>
<p><strong>From:</strong> ${parts(view.from)}</p>
<p><strong>Subject:</strong> ${parts(view.subject)}</p>
<blockquote>${body}</blockquote></section>
<section aria-labelledby="flags"><h2 id="flags">Red flags</h2><ol>${flags}</ol></section>
<p>Next time, use <strong>Report phishing</strong> on the message in the ticket instead of opening its links.</p>
<p><a href="${escapeHtml(trainingUrl)}">Take the short training on this</a></p>
</main>
<script src="/l-assets/seen.js" defer></script>`);
}

export function renderInvalidLink(): string {
  return page('Link not valid', '<main><h1>This link is not valid</h1><p>It may be mistyped or no longer in use.</p></main>');
}

/** Posts the page's own token back: only a browser that runs scripts sends it. */
export const SEEN_SCRIPT = `(function(){var t=location.pathname.split('/').pop();if(!t)return;fetch('/api/simulations/landing/seen',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({token:t}),credentials:'omit'}).catch(function(){});})();
`;
