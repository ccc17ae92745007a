/**
 * One campaign (also the link in reviewers' reminder emails): each person's
 * role or team membership with the dormant and unused-permission flags, a
 * certify or revoke decision with a comment, closing, and the report download.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { accessReviewEndpoints, type CampaignDetailSchema } from '../../../src/platform/http/schemas/access-reviews.js';
import type { Static } from 'typebox';
import { call, validate, type FieldErrors } from '../api.js';
import { formatDateTime, t, tp } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { TextAreaField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { RelativeTime } from '../ui/time.js';
import { SecurityNav } from './SecurityNav.js';

type Detail = Static<typeof CampaignDetailSchema>;
type Item = Detail['items'][number];
type Decision = 'certify' | 'revoke';

function DecideDialog({ campaignId, item, decision, onDone, onClose }: { campaignId: string; item: Item; decision: Decision; onDone: () => void; onClose: () => void }) {
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = useSubmit(() => call(accessReviewEndpoints.decide, { params: { id: campaignId, itemId: item.id }, body: { decision, comment: comment.trim() } }));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(accessReviewEndpoints.decide.body, { decision, comment: comment.trim() });
    setErrors(found);
    if (Object.keys(found).length) return;
    if (await submit.run()) onDone();
  };
  const access = item.kind === 'role' ? t('security.reviews.roleAccess', { role: item.roleName ?? item.roleKey ?? '—' }) : t('security.reviews.teamAccess', { team: item.teamName ?? '—' });
  return (
    <Dialog open title={t(decision === 'certify' ? 'security.reviews.certifyTitle' : 'security.reviews.revokeTitle')} onClose={onClose}>
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <p>{t('security.reviews.decideWho', { person: item.userName ?? item.userEmail ?? item.userId, access })}</p>
        {decision === 'revoke' ? <Notice tone="warning" title={t('security.reviews.revokeWarning')} /> : null}
        <TextAreaField label={t('security.reviews.field.comment')} hint={t('security.reviews.field.commentHint')} value={comment} onChange={(e) => setComment(e.target.value)} error={errors.comment ?? submit.fieldErrors.comment} required rows={3} />
        <ErrorNotice error={submit.error} />
        <div className="form__actions">
          <Button type="submit" variant={decision === 'revoke' ? 'danger' : 'primary'} busy={submit.busy}>{t(decision === 'certify' ? 'security.reviews.certify' : 'security.reviews.revoke')}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

function Flags({ item }: { item: Item }) {
  return (
    <div className="sec-flags">
      {item.dormant ? <Badge tone="warning">{t('security.reviews.dormant')}</Badge> : null}
      {item.unusedPermissions.length > 0 ? (
        <details className="sec-details">
          <summary><Badge tone="warning">{tp('security.reviews.unused', item.unusedPermissions.length)}</Badge></summary>
          <ul className="sec-perms">{item.unusedPermissions.map((p) => <li key={p}><code>{p}</code></li>)}</ul>
        </details>
      ) : null}
      {!item.dormant && item.unusedPermissions.length === 0 ? <span className="sec-muted">—</span> : null}
    </div>
  );
}

export function AccessReview({ id }: { id: string }) {
  const res = useResource(() => call(accessReviewEndpoints.read, { params: { id } }), [id]);
  const [deciding, setDeciding] = useState<{ item: Item; decision: Decision } | null>(null);
  const [confirmClose, setConfirmClose] = useState(false);
  const close = useSubmit(() => call(accessReviewEndpoints.close, { params: { id } }));
  const d = res.data;
  const c = d?.campaign;

  return (
    <Page title={c ? c.name : t('security.reviews.title')} subtitle={<Link href="/access-reviews">{t('security.reviews.back')}</Link>} wide
      actions={c ? (
        <>
          {c.abilities.export ? (
            <>
              <a className="btn btn--secondary" href={`/api/access-reviews/${encodeURIComponent(c.id)}/export?format=csv`} download>{t('security.reviews.downloadCsv')}</a>
              <a className="btn btn--secondary" href={`/api/access-reviews/${encodeURIComponent(c.id)}/export?format=json`} download>{t('security.reviews.downloadJson')}</a>
            </>
          ) : null}
          {c.abilities.close && c.status === 'open' ? <Button variant="danger" onClick={() => setConfirmClose(true)}>{t('security.reviews.close')}</Button> : null}
        </>
      ) : undefined}>
      <SecurityNav />
      {res.loading && !d ? <Loading /> : null}
      <ErrorNotice error={res.error} onRetry={res.reload} />
      {d && c ? (
        <>
          <dl className="pairs pairs--inline">
            <dt>{t('security.reviews.col.status')}</dt>
            <dd><Badge tone={c.status === 'open' ? 'info' : 'neutral'}>{t(c.status === 'open' ? 'security.reviews.open' : 'security.reviews.closed')}</Badge></dd>
            <dt>{t('security.reviews.col.scope')}</dt>
            <dd>{c.teamId ? t('security.reviews.teamOption', { name: c.teamName ?? '—' }) : t('security.reviews.allStaff')}</dd>
            <dt>{t('security.reviews.col.deadline')}</dt>
            <dd><time dateTime={c.deadline}>{formatDateTime(c.deadline)}</time></dd>
            <dt>{t('security.reviews.col.progress')}</dt>
            <dd>{t('security.reviews.progress', { decided: c.counts.certified + c.counts.revoked, total: c.counts.total, revoked: c.counts.revoked })}</dd>
            <dt>{t('security.reviews.atDeadline')}</dt>
            <dd>{c.revokeUndecided ? t('security.reviews.atDeadlineRevoke') : t('security.reviews.atDeadlineKeep')}</dd>
          </dl>
          <ErrorNotice error={close.error} />
          <Section title={t('security.reviews.items')} id="items">
            <DataTable
              caption={t('security.reviews.items')}
              rows={d.items}
              rowKey={(i) => i.id}
              columns={[
                { key: 'person', header: t('security.reviews.col.person'), render: (i) => <span>{i.userName ?? '—'}<br /><span className="sec-muted">{i.userEmail ?? i.userId}</span></span> },
                { key: 'access', header: t('security.reviews.col.access'), render: (i) => (i.kind === 'role' ? t('security.reviews.roleAccess', { role: i.roleName ?? i.roleKey ?? '—' }) : t('security.reviews.teamAccess', { team: i.teamName ?? '—' })) },
                { key: 'signin', header: t('security.reviews.col.lastSignin'), render: (i) => (i.lastSigninAt ? <RelativeTime value={i.lastSigninAt} /> : t('security.reviews.never')) },
                { key: 'flags', header: t('security.reviews.col.flags'), render: (i) => <Flags item={i} /> },
                {
                  key: 'decision', header: t('security.reviews.col.decision'), render: (i) =>
                    i.decision ? (
                      <span>
                        <Badge tone={i.decision === 'certify' ? 'success' : 'danger'}>{t(i.decision === 'certify' ? 'security.reviews.certified' : 'security.reviews.revoked')}</Badge>
                        {i.comment ? <><br /><span className="sec-muted">{i.comment}</span></> : null}
                      </span>
                    ) : i.abilities.decide && c.status === 'open' ? (
                      <span className="sec-actions">
                        <Button className="btn--small" onClick={() => setDeciding({ item: i, decision: 'certify' })} aria-label={t('security.reviews.certifyFor', { person: i.userName ?? i.userEmail ?? i.userId })}>{t('security.reviews.certify')}</Button>
                        <Button className="btn--small" variant="danger" onClick={() => setDeciding({ item: i, decision: 'revoke' })} aria-label={t('security.reviews.revokeFor', { person: i.userName ?? i.userEmail ?? i.userId })}>{t('security.reviews.revoke')}</Button>
                      </span>
                    ) : (
                      <span className="sec-muted">{t('security.reviews.undecided')}</span>
                    ),
                },
              ]}
            />
          </Section>
          {deciding ? <DecideDialog campaignId={c.id} item={deciding.item} decision={deciding.decision} onClose={() => setDeciding(null)} onDone={() => { setDeciding(null); res.reload(); }} /> : null}
          <Dialog open={confirmClose} title={t('security.reviews.closeTitle')} onClose={() => setConfirmClose(false)}
            footer={<><Button variant="danger" busy={close.busy} onClick={() => void close.run().then((r) => { setConfirmClose(false); if (r) res.reload(); })}>{t('security.reviews.close')}</Button><Button onClick={() => setConfirmClose(false)}>{t('action.cancel')}</Button></>}>
            <p>{tp('security.reviews.closeBody', c.counts.undecided)}</p>
          </Dialog>
        </>
      ) : null}
    </Page>
  );
}
