/**
 * Email channels: the inbound addresses (mailboxes) and their teams, the
 * settings in force for receiving and sending (from the environment, read-only,
 * no secrets), and "send test" with its outcome.
 */
import { useState } from 'react';
import type { Static } from 'typebox';
import { mailboxEndpoints } from '../../../src/platform/http/schemas/mailboxes.js';
import { signatureEndpoints } from '../../../src/platform/http/schemas/signatures.js';
import { Dialog } from '../ui/Dialog.js';
import { SignatureForm } from '../ui/SignatureForm.js';
import { organizationEndpoints, type MailTestResult } from '../../../src/platform/http/schemas/organization.js';
import { teamEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { Acknowledgements, SurveySetting } from './Acknowledgements.js';
import { AdminNav } from './AdminNav.js';
import { ConfirmButton } from './shared.js';
import { PulledMailboxes } from './PulledMailboxes.js';

function AddMailbox({ teams, onDone }: { teams: Array<{ id: string; name: string }>; onDone: () => void }) {
  const [address, setAddress] = useState('');
  const [name, setName] = useState('');
  const [teamId, setTeamId] = useState('');
  const submit = useSubmit(async () => {
    await call(mailboxEndpoints.create, { body: { address: address.trim(), name: name.trim(), teamId: teamId || null } });
    return true as const;
  });
  return (
    <form className="form form--wide" noValidate onSubmit={async (e) => { e.preventDefault(); if (await submit.run()) { setAddress(''); setName(''); setTeamId(''); onDone(); } }}>
      <div className="field-row">
        <TextField label={t('admin.email.address')} type="email" value={address} onChange={(e) => setAddress(e.target.value)} error={submit.fieldErrors.address} />
        <TextField label={t('admin.email.name')} value={name} onChange={(e) => setName(e.target.value)} error={submit.fieldErrors.name} />
        <SelectField label={t('admin.email.team')} value={teamId} onChange={(e) => setTeamId(e.target.value)} options={[{ value: '', label: t('admin.email.noTeam') }, ...teams.map((x) => ({ value: x.id, label: x.name }))]} error={submit.fieldErrors.teamId} />
      </div>
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.email.add')}</Button></div>
    </form>
  );
}

function SendTest() {
  const { me } = useMe();
  const [to, setTo] = useState('');
  const [result, setResult] = useState<Static<typeof MailTestResult> | null>(null);
  const submit = useSubmit(async () => {
    const r = await call(organizationEndpoints.mailTest, { body: to.trim() ? { to: to.trim() } : {} });
    setResult(r);
    return r;
  });
  return (
    <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); setResult(null); await submit.run(); }}>
      <TextField label={t('admin.email.test.to')} hint={t('admin.email.test.toHint', { email: me.user.email })} type="email" optional value={to} onChange={(e) => setTo(e.target.value)} error={submit.fieldErrors.to} />
      <ErrorNotice error={submit.error} />
      {result ? (
        result.outcome === 'failed' ? (
          <Notice tone="danger" title={t('admin.email.test.failed', { to: result.to })}>
            <p data-testid="mail-test-reason">{t(`admin.email.test.reason.${result.reason ?? 'unknown'}`)}{result.smtpCode ? ` ${t('admin.email.test.code', { code: result.smtpCode })}` : ''}</p>
          </Notice>
        ) : (
          <Notice tone="success" title={t(result.outcome === 'sent' ? 'admin.email.test.sent' : 'admin.email.test.written', { to: result.to })} />
        )
      ) : null}
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('admin.email.test.send')}</Button></div>
    </form>
  );
}

/** A mailbox's signature, edited in a dialog (decision 0149). */
function MailboxSignature({ mailbox }: { mailbox: { id: string; address: string } }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button className="btn--small" onClick={() => setOpen(true)}>{t('admin.email.signature')}</Button>
      <Dialog open={open} title={t('admin.email.signatureTitle', { address: mailbox.address })} onClose={() => setOpen(false)}>
        <SignatureForm
          id={`mailbox-signature-${mailbox.id}`}
          label={t('admin.email.signatureLabel')}
          hint={t('admin.email.signatureHint')}
          savedText={t('admin.email.signatureSaved')}
          load={(signal) => call(signatureEndpoints.mailbox, { params: { id: mailbox.id } }, { signal })}
          save={(html) => call(signatureEndpoints.saveMailbox, { params: { id: mailbox.id }, body: { html } })}
        />
      </Dialog>
    </>
  );
}

export function EmailChannels() {
  const data = useResource(async () => {
    const [mailboxes, settings, teams] = await Promise.all([call(mailboxEndpoints.list), call(organizationEndpoints.mail), call(teamEndpoints.list).catch(() => ({ teams: [] }))]);
    return { mailboxes: mailboxes.mailboxes, settings, teams: teams.teams };
  }, []);
  const teamName = (id: string | null) => (id ? (data.data?.teams.find((x) => x.id === id)?.name ?? id) : t('admin.email.noTeam'));
  const s = data.data?.settings;
  return (
    <Page title={t('admin.email.title')} subtitle={t('admin.email.subtitle')} wide>
      <AdminNav />
      {data.loading && !data.data ? <Loading /> : null}
      <ErrorNotice error={data.error} onRetry={data.reload} />
      {data.data && s ? (
        <>
          <Section title={t('admin.email.mailboxes')} id="mailboxes">
            <DataTable
              caption={t('admin.email.mailboxes')}
              rows={data.data.mailboxes}
              rowKey={(m) => m.id}
              empty={<EmptyState title={t('admin.email.empty')} />}
              columns={[
                { key: 'address', header: t('admin.email.address'), render: (m) => <strong>{m.address}</strong> },
                { key: 'name', header: t('admin.email.name'), render: (m) => m.name },
                { key: 'team', header: t('admin.email.team'), render: (m) => teamName(m.teamId) },
                {
                  key: 'actions', header: t('admin.common.actions'), render: (m) => (
                    <>
                    <MailboxSignature mailbox={m} />{' '}
                    <ConfirmButton variant="danger" label={t('action.delete')} title={t('admin.email.deleteTitle', { address: m.address })} body={<p>{t('admin.email.deleteBody')}</p>}
                      onConfirm={async () => { await call(mailboxEndpoints.remove, { params: { id: m.id } }); data.reload(); }} />
                    </>
                  ),
                },
              ]}
            />
            <h3 className="adm-subtitle">{t('admin.email.addTitle')}</h3>
            <AddMailbox teams={data.data.teams} onDone={data.reload} />
          </Section>
          <Section title={t('imap.title')} id="pulled"><PulledMailboxes mailboxes={data.data.mailboxes} /></Section>
          {data.data.mailboxes.length ? <Section title={t('admin.ack.title')} id="acknowledgements"><Acknowledgements mailboxes={data.data.mailboxes} /></Section> : null}
          <Section title={t('admin.csat.title')} id="survey"><SurveySetting /></Section>
          <div className="adm-cards">
            <Section title={t('admin.email.inbound')} id="inbound">
              <dl className="pairs">
                <dt>{t('admin.email.server')}</dt><dd>{s.inbound.enabled ? <code>{s.inbound.host}:{s.inbound.port}</code> : <Badge tone="warning">{t('admin.email.off')}</Badge>}</dd>
                <dt>{t('admin.email.tls')}</dt><dd>{s.inbound.starttls ? <Badge tone="success">{t('admin.email.starttls')}</Badge> : <Badge tone="warning">{t('admin.email.noTls')}</Badge>}</dd>
                <dt>{t('admin.email.maxSize')}</dt><dd>{t('admin.email.megabytes', { n: Math.round(s.inbound.maxMessageBytes / 1024 / 1024) })}</dd>
                <dt>{t('admin.email.trusted')}</dt><dd>{s.inbound.trustedAuthservIds.length ? s.inbound.trustedAuthservIds.join(', ') : '—'}</dd>
              </dl>
            </Section>
            <Section title={t('admin.email.outbound')} id="outbound">
              <dl className="pairs">
                <dt>{t('admin.email.mode')}</dt><dd>{s.outbound.relay ? <code>{s.outbound.relay.host}:{s.outbound.relay.port}</code> : <Badge tone="warning">{t('admin.email.outbox')}</Badge>}</dd>
                {s.outbound.relay ? <><dt>{t('admin.email.tls')}</dt><dd>{s.outbound.relay.implicitTls ? t('admin.email.implicitTls') : t('admin.email.starttlsIfOffered')}</dd></> : null}
                {s.outbound.relay ? <><dt>{t('admin.email.auth')}</dt><dd>{s.outbound.relay.authenticated ? t('admin.email.authYes') : t('admin.email.authNo')}</dd></> : null}
                <dt>{t('admin.email.from')}</dt><dd>{s.outbound.from}</dd>
                <dt>{t('admin.email.dkim')}</dt><dd>{s.outbound.dkim.enabled ? t('admin.email.dkimOn', { selector: s.outbound.dkim.selector ?? '', domain: s.outbound.dkim.domain ?? '' }) : <Badge tone="warning">{t('admin.email.dkimOff')}</Badge>}</dd>
              </dl>
              <p className="adm-muted">{t('admin.email.envHint')}</p>
            </Section>
          </div>
          <Section title={t('admin.email.test.title')} id="mail-test">
            <SendTest />
          </Section>
        </>
      ) : null}
    </Page>
  );
}
