/**
 * Rating from the solved email (`/portal/rate?token=…&rating=good|bad`). Opening the page records
 * nothing (mail scanners open links): the choice from the link is only preselected, and the
 * rating is recorded when the customer sends the form. The token leaves the address bar at once
 * and stays in memory; a replayed link shows the rating given and may change it until it expires.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { csatEndpoints, type CsatRating } from '../../../src/platform/http/schemas/csat.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextAreaField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { ApiError } from '../api.js';
import { portalCall } from './session.js';

let held: { token: string | null; rating: CsatRating | null } | null = null;

function takeLink(): { token: string | null; rating: CsatRating | null } {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    const r = url.searchParams.get('rating');
    held = { token, rating: r === 'good' || r === 'bad' ? r : null };
    url.searchParams.delete('token');
    url.searchParams.delete('rating');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  return held ?? { token: null, rating: null };
}

/** The Good / Bad choice with an optional comment; used by the link page and the portal ticket page. */
export function RatingForm({ initial, submitLabel, onSubmit }: { initial: CsatRating | null; submitLabel: string; onSubmit: (rating: CsatRating, comment: string) => Promise<void> }) {
  const [rating, setRating] = useState<CsatRating | null>(initial);
  const [comment, setComment] = useState('');
  const send = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    if (!rating) return;
    await onSubmit(rating, comment);
  });
  return (
    <form className="form rate-form" onSubmit={(e) => void send.run(e)} noValidate>
      <fieldset className="rate-form__choice">
        <legend>{t('portal.rate.choice')}</legend>
        {(['good', 'bad'] as const).map((value) => (
          <label key={value} className="radio">
            <input type="radio" name="rating" value={value} checked={rating === value} onChange={() => setRating(value)} />
            {t(value === 'good' ? 'portal.rate.good' : 'portal.rate.bad')}
          </label>
        ))}
      </fieldset>
      <TextAreaField label={t('portal.rate.comment')} hint={t('portal.rate.commentHint')} optional rows={4} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
      {send.error ? <ErrorNotice error={send.error} /> : null}
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={send.busy} disabled={!rating}>{submitLabel}</Button>
      </div>
    </form>
  );
}

type State =
  | { kind: 'checking' }
  | { kind: 'ready'; ticketNumber: number; rating: CsatRating | null; expiresAt: string }
  | { kind: 'done' }
  | { kind: 'dead'; reason: 'expired' | 'invalid' }
  | { kind: 'error'; error: unknown };

export function RatePage() {
  const [link] = useState(takeLink);
  const [state, setState] = useState<State>(link.token ? { kind: 'checking' } : { kind: 'dead', reason: 'invalid' });

  useEffect(() => {
    if (!link.token) return;
    let live = true;
    portalCall(csatEndpoints.check, { body: { token: link.token } })
      .then((res) => {
        if (!live) return;
        if (res.state === 'usable' && res.ticketNumber !== null && res.expiresAt) setState({ kind: 'ready', ticketNumber: res.ticketNumber, rating: res.rating, expiresAt: res.expiresAt });
        else setState({ kind: 'dead', reason: res.state === 'expired' ? 'expired' : 'invalid' });
      })
      .catch((error: unknown) => live && setState({ kind: 'error', error }));
    return () => {
      live = false;
    };
  }, [link.token]);

  const submit = async (rating: CsatRating, comment: string) => {
    if (!link.token) return;
    try {
      await portalCall(csatEndpoints.rate, { body: { token: link.token, rating, ...(comment.trim() ? { comment } : {}) } });
      setState({ kind: 'done' });
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) setState({ kind: 'dead', reason: /expired/i.test(err.message) ? 'expired' : 'invalid' });
      else throw err;
    }
  };

  return (
    <Page title={t('portal.rate.title')}>
      {state.kind === 'checking' ? <Loading /> : null}
      {state.kind === 'error' ? <ErrorNotice error={state.error} /> : null}
      {state.kind === 'dead' ? <Notice tone="info">{t(state.reason === 'expired' ? 'portal.rate.expired' : 'portal.rate.invalid')}</Notice> : null}
      {state.kind === 'done' ? <Notice tone="success">{t('portal.rate.thanks')}</Notice> : null}
      {state.kind === 'ready' ? (
        <>
          <p>{t('portal.rate.intro', { number: state.ticketNumber })}</p>
          {state.rating ? <Notice tone="info">{t('portal.rate.current', { rating: t(state.rating === 'good' ? 'portal.rate.good' : 'portal.rate.bad'), date: formatDateTime(state.expiresAt) })}</Notice> : null}
          <RatingForm initial={link.rating ?? state.rating} submitLabel={t(state.rating ? 'portal.rate.change' : 'portal.rate.submit')} onSubmit={submit} />
        </>
      ) : null}
    </Page>
  );
}
