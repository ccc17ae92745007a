/**
 * The link warning page: what the server's analysis says about an address
 * found in a message (/api/links/check), before the agent opens it. "Open
 * anyway" is a plain link that shares neither the opener nor the referrer.
 */
import { Link, useSearch } from 'wouter';
import { linkCheckEndpoints } from '../../../src/platform/http/schemas/phishing-reports.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { label } from './shared.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function LinkPage() {
  const params = new URLSearchParams(useSearch());
  const url = params.get('url') ?? '';
  const ticket = params.get('ticket') ?? '';
  const message = params.get('message') ?? '';
  const valid = url.length > 0 && url.length <= 4096 && UUID.test(message);
  const check = useResource((signal) => (valid ? call(linkCheckEndpoints.check, { query: { u: url, m: message } }, { signal }) : Promise.resolve(null)), [url, message, valid]);
  const result = check.data;
  const web = /^https?:\/\//i.test(url);
  return (
    <Page title={t('agent.link.title')}>
      {!valid ? <Notice tone="danger">{t('agent.link.invalid')}</Notice> : null}
      {check.loading && valid ? <Loading /> : null}
      <ErrorNotice error={check.error} />
      {result ? (
        <>
          <Notice
            tone={result.level === 'block' ? 'danger' : result.warn ? 'warning' : 'info'}
            title={result.level === 'block' ? t('agent.link.block') : result.warn ? t('agent.link.warn') : t('agent.link.ok')}
          >
            {result.reasons.length ? (
              <ul className="phish__reasons">
                {result.reasons.map((r, i) => (
                  <li key={`${r.code}-${i}`}><span className="phish__code">{label('agent.threat', r.code)}</span>: {r.evidence}</li>
                ))}
              </ul>
            ) : null}
            {result.message.verdict && result.message.verdict !== 'clean' ? <p>{t('agent.link.messageVerdict', { verdict: label('agent.verdict', result.message.verdict) })}</p> : null}
            {result.message.reported ? <p>{t('agent.link.reported')}</p> : null}
          </Notice>
          <dl className="facts facts--compact">
            <div><dt>{t('agent.link.address')}</dt><dd className="link-address">{url}</dd></div>
            <div><dt>{t('agent.link.host')}</dt><dd>{result.host || '—'}</dd></div>
            <div><dt>{t('agent.link.domain')}</dt><dd>{result.domain || '—'}</dd></div>
          </dl>
          <div className="form__actions">
            {web && result.level !== 'block' ? (
              <a className="btn btn--danger" href={url} target="_blank" rel="noopener noreferrer">{t('agent.link.open')}</a>
            ) : null}
            {ticket && UUID.test(ticket) ? <Link href={`/tickets/${ticket}`} className="btn btn--primary">{t('agent.link.back')}</Link> : null}
          </div>
        </>
      ) : null}
    </Page>
  );
}
