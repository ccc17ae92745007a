/**
 * The customer's own requests, and any identity verification an agent started
 * that waits for the customer's code.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { portalEndpoints } from '../../../src/platform/http/schemas/portal.js';
import { verificationEndpoints } from '../../../src/platform/http/schemas/verification.js';
import { ApiError, validate } from '../api.js';
import { formatDateTime, hasMessage, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { RelativeTime } from '../ui/time.js';
import { MyDataSection } from './PrivacyPages.js';
import { isCustomerMfaRequired, StepUpCard } from './SecurityPage.js';
import { portalCall } from './session.js';

export function statusLabel(status: string): string {
  const key = `portal.status.${status}`;
  return hasMessage(key) ? t(key) : status;
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'pending' ? 'warning' : status === 'solved' || status === 'closed' ? 'success' : 'info';
  return <Badge tone={tone}>{statusLabel(status)}</Badge>;
}

function VerificationForm({ id, ticketRef, expiresAt, onDone }: { id: string; ticketRef: string; expiresAt: string; onDone: () => void }) {
  const [code, setCode] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<string | null>(null);
  const submit = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    const body = { code: code.trim() };
    const errors = validate(verificationEndpoints.portalSubmit.body, body);
    setFieldError(errors.code);
    if (errors.code) return;
    const res = await portalCall(verificationEndpoints.portalSubmit, { params: { id }, body });
    setOutcome(res.status);
    if (res.status !== 'pending') onDone();
  });
  if (outcome === 'verified') return <Notice tone="success">{t('portal.verify.verified')}</Notice>;
  if (outcome === 'failed') return <Notice tone="danger">{t('portal.verify.failed')}</Notice>;
  return (
    <form className="form portal-verify" onSubmit={(e) => void submit.run(e)} noValidate>
      <p className="portal-muted">{t('portal.verify.forRequest', { ref: ticketRef, time: formatDateTime(expiresAt) })}</p>
      <TextField label={t('portal.verify.code')} name="verification-code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} value={code} onChange={(e) => setCode(e.target.value)} error={fieldError ?? (outcome === 'pending' ? t('portal.verify.pending') : undefined)} />
      <ErrorNotice error={submit.error instanceof ApiError && submit.error.code === 'validation_failed' ? null : submit.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={submit.busy}>{t('portal.verify.submit')}</Button>
      </div>
    </form>
  );
}

export function TicketsPage() {
  const tickets = useResource(() => portalCall(portalEndpoints.tickets), []);
  const pending = useResource(() => portalCall(verificationEndpoints.portalPending), []);
  const refOf = (ticketId: string) => {
    const n = tickets.data?.items.find((x) => x.id === ticketId)?.number;
    return n === undefined ? '' : t('portal.tickets.ref', { number: n });
  };

  return (
    <Page
      title={t('portal.tickets.title')}
      actions={<Link href="/portal/request" className="btn btn--primary">{t('portal.nav.newRequest')}</Link>}
    >
      {pending.data && pending.data.items.length > 0 ? (
        <Section title={t('portal.verify.title')} id="portal-verify">
          <p>{t('portal.verify.intro')}</p>
          {pending.data.items.map((v) => (
            <VerificationForm key={v.id} id={v.id} ticketRef={refOf(v.ticketId)} expiresAt={v.expiresAt} onDone={() => undefined} />
          ))}
        </Section>
      ) : null}
      {tickets.loading && !tickets.data ? <Loading /> : null}
      {isCustomerMfaRequired(tickets.error) ? <StepUpCard onDone={() => { tickets.reload(); pending.reload(); }} /> : <ErrorNotice error={tickets.error} onRetry={tickets.reload} />}
      {tickets.data ? (
        tickets.data.items.length === 0 ? (
          <EmptyState title={t('portal.tickets.empty')}>
            <Link href="/portal/request">{t('portal.nav.newRequest')}</Link>
          </EmptyState>
        ) : (
          <DataTable
            caption={t('portal.tickets.caption')}
            rows={tickets.data.items}
            rowKey={(r) => r.id}
            columns={[
              { key: 'number', header: t('portal.tickets.number'), render: (r) => t('portal.tickets.ref', { number: r.number }) },
              { key: 'subject', header: t('portal.tickets.subject'), render: (r) => <Link href={`/portal/tickets/${r.id}`}>{r.subject || t('portal.tickets.noSubject')}</Link> },
              { key: 'status', header: t('portal.tickets.status'), render: (r) => <StatusBadge status={r.status} /> },
              { key: 'updated', header: t('portal.tickets.updated'), render: (r) => <RelativeTime value={r.lastMessageAt} /> },
            ]}
          />
        )
      ) : null}
      <MyDataSection />
    </Page>
  );
}
