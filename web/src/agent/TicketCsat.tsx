/**
 * The ticket's satisfaction rating (Good / Bad, the comment, where it came from). Shown once the
 * ticket is solved or closed; reading it is an audited read on the server (the comment is the
 * customer's text).
 */
import { csatEndpoints } from '../../../src/platform/http/schemas/csat.js';
import { call } from '../api.js';
import { formatRelative, t } from '../i18n/index.js';
import { useResource } from '../ui/hooks.js';
import { Badge, ErrorNotice } from '../ui/notices.js';
import { RedactedText } from '../ui/redacted.js';

export function TicketCsat({ ticketId, status }: { ticketId: string; status: string }) {
  const shown = status === 'solved' || status === 'closed';
  const res = useResource((signal) => (shown ? call(csatEndpoints.ticket, { params: { id: ticketId } }, { signal }) : Promise.resolve(null)), [ticketId, shown]);
  if (!shown) return null;
  const r = res.data?.rating;
  return (
    <section className="panel" aria-labelledby="ticket-csat-title">
      <h2 id="ticket-csat-title" className="section__title">{t('ticket.csat.title')}</h2>
      {res.error ? <ErrorNotice error={res.error} onRetry={res.reload} /> : null}
      {res.data ? (
        r ? (
          <>
            <p>
              <Badge tone={r.rating === 'good' ? 'success' : 'danger'}>{t(r.rating === 'good' ? 'ticket.csat.good' : 'ticket.csat.bad')}</Badge>{' '}
              {t('ticket.csat.rated', { when: formatRelative(r.ratedAt), source: t(r.source === 'email' ? 'ticket.csat.source.email' : 'ticket.csat.source.portal') })}
            </p>
            {r.comment ? <p><span className="visually-hidden">{t('ticket.csat.comment')}: </span><RedactedText text={r.comment} /></p> : null}
          </>
        ) : (
          <p>{t('ticket.csat.none')}{res.data.surveySentAt ? ` · ${t('ticket.csat.sent', { when: formatRelative(res.data.surveySentAt) })}` : ''}</p>
        )
      ) : null}
    </section>
  );
}
