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
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/l-assets/landing.css"></head><body>${body}</body></html>`;
}

/**
 * The teaching page. `backUrl` (the console's ticket) is offered when the page was opened from the console,
 * which needs no script: a signed-in person opened the attachment, not a scanner.
 */
export function renderLandingPage(view: LandingView, trainingUrl: string, after: 'click' | 'form' = 'click', backUrl?: string): string {
  const body = parts(view.body).replace(/\n/g, '<br>');
  const flags = view.flags.map((f, i) => `<li><strong>${i + 1}.</strong> ${escapeHtml(f.explanation)}</li>`).join('');
  const attachment = view.via !== 'link';
  const lead = after === 'form'
    ? 'You typed into a form that a phishing message led to. Nothing you typed left your computer: the form sent only the fact that something was typed, never what. This message was a test from your organisation\'s security team. Here is what could have given it away.'
    : attachment
      ? 'You opened the attachment of a phishing message. This one was harmless: it was a test from your organisation\'s security team, nothing ran and no data left your computer. A real one could have installed malware or led you to a fake sign-in page. Here is what could have given it away.'
      : 'Nothing happened: this message was a test from your organisation\'s security team, and no data left your computer. Here is what could have given it away.';
  const advice = attachment
    ? 'Next time, do not open attachments you did not expect: use <strong>Report phishing</strong> on the message in the ticket instead.'
    : 'Next time, use <strong>Report phishing</strong> on the message in the ticket instead of opening its links.';
  return page('This was a phishing simulation', `
<main>
<h1>This was a phishing simulation</h1>
<p>${escapeHtml(lead)}</p>
<section aria-labelledby="msg"><h2 id="msg">The message you opened</h2>
<p><strong>From:</strong> ${parts(view.from)}</p>
<p><strong>Subject:</strong> ${parts(view.subject)}</p>
<blockquote>${body}</blockquote></section>
<section aria-labelledby="flags"><h2 id="flags">Red flags</h2><ol>${flags}</ol></section>
<p>${advice}</p>
<p><a href="${escapeHtml(trainingUrl)}">Take the short training on this</a></p>
${backUrl ? `<p><a href="${escapeHtml(backUrl)}">Back to the ticket</a></p>` : ''}
</main>
${view.via === 'console' ? '' : '<script src="/l-assets/seen.js" defer></script>'}`);
}

/**
 * The realistic form a campaign may put before the teaching page. Its fields have no name attribute, so a
 * browser submits none of them: the POST to /l/:token carries nothing typed, only that the form was sent.
 */
export function renderLandingForm(view: LandingView, token: string): string {
  const field = (id: string, label: string, type: string, autocomplete: string) =>
    `<p><label for="${id}">${escapeHtml(label)}</label><br><input id="${id}" type="${type}" autocomplete="${autocomplete}" required></p>`;
  const fields = view.form === 'payment'
    ? `${field('f-name', 'Name on card', 'text', 'off')}${field('f-card', 'Card number', 'text', 'off')}${field('f-exp', 'Expiry (MM/YY)', 'text', 'off')}${field('f-cvc', 'Security code', 'password', 'off')}`
    : `${field('f-user', 'Email address', 'email', 'off')}${field('f-pass', 'Password', 'password', 'off')}`;
  const title = view.form === 'payment' ? 'Complete your payment' : 'Sign in to continue';
  const hint = view.form === 'payment' ? 'Enter your card details to release the item.' : `Sign in with your ${escapeHtml(view.orgName)} account to view the document.`;
  return page(title, `
<main class="lf">
<h1>${escapeHtml(title)}</h1>
<p>${hint}</p>
<form method="post" action="/l/${escapeHtml(token)}" autocomplete="off">${fields}<p><button type="submit">${view.form === 'payment' ? 'Pay now' : 'Sign in'}</button></p></form>
</main>
<script src="/l-assets/seen.js" defer></script>`);
}

export const LANDING_CSS = `body{font-family:system-ui,sans-serif;margin:0;padding:2rem 1rem;background:#f6f7f9;color:#1b1f24;line-height:1.5}
main{max-width:44rem;margin:0 auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
main.lf{max-width:24rem}
mark{background:#ffe58a;color:#1b1f24}
blockquote{border-left:4px solid #c9ced6;margin:1rem 0;padding:.25rem 1rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #6b7280;border-radius:4px}
button{padding:.5rem 1.25rem;font:inherit;background:#1d4ed8;color:#fff;border:0;border-radius:4px}
a{color:#1d4ed8}
`;

export function renderInvalidLink(): string {
  return page('Link not valid', '<main><h1>This link is not valid</h1><p>It may be mistyped or no longer in use.</p></main>');
}

/** Posts the page's own token back: only a browser that runs scripts sends it. */
export const SEEN_SCRIPT = `(function(){var t=location.pathname.split('/').pop();if(!t)return;fetch('/api/simulations/landing/seen',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({token:t}),credentials:'omit'}).catch(function(){});})();
`;
