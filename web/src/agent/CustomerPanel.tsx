/**
 * The requester: the fields the organisation's masking policy shows this agent
 * in clear as they are, the others masked. "Reveal" shows one field after the agent
 * gives a reason (and a category when the policy lists them) (audited on the server; a second factor is asked for through
 * the step-up dialog when policy says so). "Verify customer" sends a one-time
 * code by email or SMS and records the outcome on the ticket.
 */
import { useState, type FormEvent } from 'react';
import { customerEndpoints, REVEAL_REASON_MAX, REVEAL_REASON_MIN, type RevealableField } from '../../../src/platform/http/schemas/customers.js';
import { maskingEndpoints } from '../../../src/platform/http/schemas/masking.js';
import { privacyEndpoints } from '../../../src/platform/http/schemas/privacy.js';
import { LegalHold } from './LegalHold.js';
import { verificationEndpoints, VERIFICATION_CHANNELS } from '../../../src/platform/http/schemas/verification.js';
import { portalMfaEndpoints } from '../../../src/platform/http/schemas/portal-mfa.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { RelativeTime } from '../ui/time.js';
import { label } from './shared.js';

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return t('agent.customer.empty');
  if (Array.isArray(value)) return value.map(String).join(', ') || t('agent.customer.empty');
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`).join('; ') || t('agent.customer.empty');
  return String(value);
}

export function CustomerPanel({ customerId, ticketId, canReveal }: { customerId: string; ticketId: string | null; canReveal: boolean }) {
  const customer = useResource((signal) => call(customerEndpoints.read, { params: { id: customerId } }, { signal }), [customerId]);
  const [revealed, setRevealed] = useState<Partial<Record<RevealableField, unknown>>>({});
  const [asking, setAsking] = useState<RevealableField | null>(null);
  const c = customer.data;

  // Fields the organisation's masking policy shows this agent in clear come as they are; the others masked, with Reveal.
  const inClear = new Set<RevealableField>(c?.clear ?? []);
  const rows: Array<{ field: RevealableField; shown: string | null }> = c
    ? [
        { field: 'name', shown: c.name },
        { field: 'email', shown: c.email },
        { field: 'phones', shown: c.phones.length ? c.phones.join(', ') : null },
        { field: 'emails', shown: c.emails.length ? c.emails.join(', ') : null },
        { field: 'address', shown: c.hasAddress ? (inClear.has('address') ? (c.address ?? '') : '••••') : null },
        { field: 'notes', shown: c.hasNotes ? (inClear.has('notes') ? (c.notes ?? '') : '••••') : null },
        { field: 'customFields', shown: inClear.has('customFields') && c.customFields && Object.keys(c.customFields).length ? show(c.customFields) : null },
      ]
    : [];
  return (
    <section className="panel" aria-labelledby="customer-title">
      <h2 id="customer-title" className="section__title">{t('agent.customer.title')}</h2>
      {customer.loading && !c ? <Loading /> : null}
      <ErrorNotice error={customer.error} />
      {c?.erased ? <Notice tone="info">{t('agent.customer.erased')}</Notice> : null}
      {c && !c.erased ? (
        <dl className="customer-fields">
          {rows.filter((r) => r.shown !== null).map((r) => (
            <div key={r.field} className="customer-fields__row">
              <dt>{label('agent.field', r.field)}</dt>
              <dd>
                {inClear.has(r.field) ? (
                  <span className="in-clear">{r.shown}</span>
                ) : r.field in revealed ? (
                  <span className="revealed">
                    {show(revealed[r.field])} <Badge tone="warning">{t('agent.customer.revealedBadge')}</Badge>
                  </span>
                ) : (
                  <span className="masked">{r.shown}</span>
                )}
                {canReveal && !inClear.has(r.field) && !(r.field in revealed) ? (
                  <Button variant="ghost" className="btn--small" onClick={() => setAsking(r.field)} aria-label={t('agent.customer.revealField', { field: label('agent.field', r.field) })}>
                    {t('agent.customer.reveal')}
                  </Button>
                ) : null}
              </dd>
            </div>
          ))}
        </dl>
      ) : null}
      {c && !c.erased ? <LegalHold objectType="customer" objectId={customerId} /> : null}
      {ticketId ? <LegalHold objectType="ticket" objectId={ticketId} /> : null}
      {c && !c.erased ? <EraseCustomer customerId={customerId} ticketId={ticketId} /> : null}
      {asking ? (
        <RevealDialog
          customerId={customerId}
          ticketId={ticketId}
          field={asking}
          onClose={() => setAsking(null)}
          onRevealed={(field, value) => {
            setRevealed((prev) => ({ ...prev, [field]: value }));
            setAsking(null);
          }}
        />
      ) : null}
    </section>
  );
}

function RevealDialog({ customerId, ticketId, field, onClose, onRevealed }: { customerId: string; ticketId: string | null; field: RevealableField; onClose: () => void; onRevealed: (field: RevealableField, value: unknown) => void }) {
  const [reason, setReason] = useState('');
  const [category, setCategory] = useState('');
  // The organisation's reason rules (minimum length, categories); the server checks them again.
  const policy = useResource((signal) => call(maskingEndpoints.read, {}, { signal }), []);
  const rules = policy.data?.policy.reasons;
  const min = rules?.minLength ?? REVEAL_REASON_MIN;
  const categories = rules?.categories ?? [];
  const submit = useSubmit(async () => {
    const res = await call(customerEndpoints.reveal, { params: { id: customerId }, body: { field, reason: reason.trim(), ...(ticketId ? { ticketId } : {}), ...(categories.length && category ? { category } : {}) } });
    onRevealed(field, res.value);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <Dialog open title={t('agent.customer.revealTitle', { field: label('agent.field', field) })} onClose={onClose}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <p>{t('agent.customer.revealBody')}</p>
        <ErrorNotice error={submit.error} />
        {categories.length ? (
          <SelectField
            label={t('agent.customer.category')}
            required
            value={category}
            onChange={(e) => setCategory(e.target.value)}
            error={submit.fieldErrors.category}
            options={[{ value: '', label: t('agent.customer.categoryPick') }, ...categories.map((c) => ({ value: c, label: c }))]}
          />
        ) : null}
        <TextAreaField
          label={t('agent.customer.reason')}
          hint={t('agent.customer.reasonHint', { min })}
          required
          rows={3}
          minLength={min}
          maxLength={REVEAL_REASON_MAX}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={submit.fieldErrors.reason}
          autoFocus
        />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={submit.busy}>{t('agent.customer.revealConfirm')}</Button>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

export function VerifyCustomer({ ticketId, customerId, held = false }: { ticketId: string; customerId?: string; held?: boolean }) {
  const list = useResource((signal) => call(verificationEndpoints.list, { params: { id: ticketId } }, { signal }), [ticketId]);
  const [reset, setReset] = useState<{ totp: boolean; passkeys: number } | null>(null);
  // A customer who lost their passkey or app: after a verification that succeeded, the agent removes their portal
  // second factors so they can add new ones (decision 0220; the server checks the verification's age and ticket).
  const resetFactors = useSubmit(async (verificationId: string) => {
    if (!customerId || !window.confirm(t('agent.verify.resetConfirm'))) return;
    setReset((await call(portalMfaEndpoints.reset, { params: { id: customerId }, body: { verificationId } })).removed);
  });
  const [channel, setChannel] = useState<(typeof VERIFICATION_CHANNELS)[number]>('email');
  const [pending, setPending] = useState<{ id: string; sentTo: string; expiresAt: string } | null>(null);
  const [code, setCode] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const start = useSubmit(async () => {
    setOutcome(null);
    const res = await call(verificationEndpoints.start, { params: { id: ticketId }, body: { channel } });
    setPending({ id: res.verificationId, sentTo: res.sentTo, expiresAt: res.expiresAt });
    setCode('');
    list.reload();
  });
  const check = useSubmit(async () => {
    if (!pending) return;
    const res = await call(verificationEndpoints.check, { params: { id: ticketId, verificationId: pending.id }, body: { code: code.trim() } });
    setOutcome(res.status);
    if (res.status !== 'pending') setPending(null);
    list.reload();
  });
  const latest = list.data?.items[0];
  return (
    <section className="panel" aria-labelledby="verify-title">
      <h2 id="verify-title" className="section__title">{t('agent.verify.title')}</h2>
      {latest ? (
        <p>
          {t('agent.verify.latest')} <Badge tone={latest.status === 'verified' ? 'success' : latest.status === 'failed' ? 'danger' : 'neutral'}>{label('agent.verify.status', latest.status)}</Badge>{' '}
          <RelativeTime value={latest.decidedAt ?? latest.createdAt} />
        </p>
      ) : (
        <p className="muted">{t('agent.verify.never')}</p>
      )}
      {outcome ? (
        <Notice tone={outcome === 'verified' ? 'success' : outcome === 'failed' ? 'danger' : 'info'}>{label('agent.verify.outcome', outcome)}</Notice>
      ) : null}
      {customerId && latest?.status === 'verified' && !pending ? (
        <div className="form__actions">
          <ErrorNotice error={resetFactors.error} />
          <Button className="btn--small" busy={resetFactors.busy} onClick={() => void resetFactors.run(latest.id)}>{t('agent.verify.resetFactors')}</Button>
        </div>
      ) : null}
      {reset ? <Notice tone="success">{t('agent.verify.resetDone', { app: reset.totp ? t('agent.verify.resetApp') : t('agent.verify.resetNoApp'), passkeys: String(reset.passkeys) })}</Notice> : null}
      {pending && !held ? (
        <form className="form" onSubmit={(e) => { e.preventDefault(); void check.run(); }} noValidate>
          <p>{t('agent.verify.sent', { to: pending.sentTo })}</p>
          <TextField label={t('agent.verify.code')} inputMode="numeric" autoComplete="off" value={code} onChange={(e) => setCode(e.target.value)} error={check.fieldErrors.code} />
          <ErrorNotice error={check.error} />
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={check.busy}>{t('agent.verify.check')}</Button>
            <Button onClick={() => setPending(null)}>{t('action.cancel')}</Button>
          </div>
        </form>
      ) : (
        <form className="form" onSubmit={(e) => { e.preventDefault(); void start.run(); }} noValidate>
          <SelectField label={t('agent.verify.channel')} value={channel} onChange={(e) => setChannel(e.target.value as (typeof VERIFICATION_CHANNELS)[number])} options={VERIFICATION_CHANNELS.map((c) => ({ value: c, label: label('agent.verify.via', c) }))} />
          {held ? <p className="muted" id="verify-held">{t('agent.verify.held')}</p> : null}
          <ErrorNotice error={start.error} />
          <div className="form__actions">
            <Button type="submit" busy={start.busy} disabled={held} aria-describedby={held ? 'verify-held' : undefined}>{t('agent.verify.send')}</Button>
          </div>
        </form>
      )}
    </section>
  );
}

/**
 * "Erase customer's data": records an erasure request (decision 0198). A privacy manager records it directly; an
 * agent needs a verification of the customer that succeeded on this ticket, and a privacy manager approves it.
 */
function EraseCustomer({ customerId, ticketId }: { customerId: string; ticketId: string | null }) {
  const { can } = useMe();
  const [open, setOpen] = useState(false);
  const [recorded, setRecorded] = useState<string | null>(null);
  const manager = can('privacy.manage');
  const verifications = useResource(
    (signal) => (open && ticketId && !manager ? call(verificationEndpoints.list, { params: { id: ticketId } }, { signal }) : Promise.resolve(null)),
    [open, ticketId, manager],
  );
  const verified = verifications.data?.items.find((v) => v.status === 'verified');
  const submit = useSubmit(async () => {
    const res = await call(privacyEndpoints.create, { body: { customerId, kind: 'erasure', ...(verified ? { verificationId: verified.id } : {}) } });
    setRecorded(res.dueAt);
  });
  if (!manager && !(can('customers.verify') && ticketId)) return null;
  return (
    <>
      <Button variant="ghost" className="btn--small" onClick={() => setOpen(true)}>{t('agent.customer.erase')}</Button>
      {open ? (
        <Dialog open title={t('agent.customer.eraseTitle')} onClose={() => setOpen(false)}>
          <p>{t('agent.customer.eraseBody')}</p>
          <ErrorNotice error={submit.error} />
          {recorded ? <Notice tone="success">{t('agent.customer.eraseRecorded', { due: formatDateTime(recorded) })}</Notice> : null}
          {!manager && verifications.data && !verified ? <Notice tone="warning">{t('agent.customer.eraseNeedsVerification')}</Notice> : null}
          <div className="form__actions">
            {!recorded && (manager || verified) ? <Button variant="danger" busy={submit.busy} onClick={() => void submit.run()}>{t('agent.customer.eraseRecord')}</Button> : null}
            <Button onClick={() => setOpen(false)}>{t('action.cancel')}</Button>
          </div>
        </Dialog>
      ) : null}
    </>
  );
}
