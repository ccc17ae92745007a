/**
 * SIEM streaming (/security/siem): the destinations the audit trail streams to, each with what waits (lag),
 * the last delivery and the last error; a test message; a form to add or change one (siem.manage). Secrets
 * are write-only: the form says when one is saved and sends a new one only when typed.
 */
import { useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { SIEM_FORMATS, SIEM_TRANSPORTS, siemEndpoints as e, type SiemDestination } from '../../../src/platform/http/schemas/siem.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { ConfirmButton, When } from '../admin/shared.js';
import { SecurityNav } from './SecurityNav.js';

type Destination = Static<typeof SiemDestination>;
type Transport = (typeof SIEM_TRANSPORTS)[number];
type Format = (typeof SIEM_FORMATS)[number];

function DestinationForm({ dest, onDone }: { dest: Destination | null; onDone: () => void }) {
  const [name, setName] = useState(dest?.name ?? '');
  const [transport, setTransport] = useState<Transport>(dest?.transport ?? 'tls');
  const [host, setHost] = useState(dest?.host ?? '');
  const [port, setPort] = useState(String(dest?.port ?? 6514));
  const [url, setUrl] = useState(dest?.url ?? 'https://');
  const [token, setToken] = useState('');
  const [format, setFormat] = useState<Format>(dest?.format ?? 'cef');
  const [caPem, setCaPem] = useState(dest?.caPem ?? '');
  const [clientCertPem, setClientCertPem] = useState(dest?.clientCertPem ?? '');
  const [clientKeyPem, setClientKeyPem] = useState('');
  const [threshold, setThreshold] = useState(String(dest?.lagAlertThreshold ?? 10000));
  const [startFrom, setStartFrom] = useState<'now' | 'beginning'>('now');
  const https = transport === 'https';
  const tls = transport === 'tls' || https;
  const submit = useSubmit(async () => {
    const body = {
      name: name.trim(),
      transport,
      format,
      host: https ? null : host.trim(),
      port: https ? null : Number(port),
      url: https ? url.trim() : null,
      caPem: tls && caPem.trim() ? caPem.trim() : null,
      clientCertPem: tls && clientCertPem.trim() ? clientCertPem.trim() : null,
      lagAlertThreshold: Number(threshold),
      // A secret is sent only when typed: empty keeps the saved one.
      ...(https && token ? { token } : {}),
      // No client certificate: no key either (a saved one is removed).
      ...(!tls || !clientCertPem.trim() ? (dest?.hasClientKey ? { clientKeyPem: null } : {}) : clientKeyPem.trim() ? { clientKeyPem: clientKeyPem.trim() } : {}),
    };
    if (dest) await call(e.update, { params: { id: dest.id }, body });
    else await call(e.create, { body: { ...body, startFrom } });
    return true as const;
  });
  const onSubmit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (await submit.run()) onDone();
  };
  const f = submit.fieldErrors;
  return (
    <form className="form" noValidate onSubmit={onSubmit}>
      <TextField label={t('siem.field.name')} value={name} onChange={(ev) => setName(ev.target.value)} error={f.name} required />
      <SelectField label={t('siem.field.transport')} value={transport} onChange={(ev) => setTransport(ev.target.value as Transport)} options={SIEM_TRANSPORTS.map((v) => ({ value: v, label: t(`siem.transport.${v}`) }))} error={f.transport} />
      {https ? (
        <>
          <TextField label={t('siem.field.url')} hint={t('siem.field.urlHint')} type="url" value={url} onChange={(ev) => setUrl(ev.target.value)} error={f.url} />
          <TextField label={t('siem.field.token')} hint={t('siem.field.tokenHint')} type="password" autoComplete="off" value={token} placeholder={dest?.hasToken ? t('siem.secretSet') : ''} onChange={(ev) => setToken(ev.target.value)} error={f.token} />
        </>
      ) : (
        <>
          <TextField label={t('siem.field.host')} value={host} onChange={(ev) => setHost(ev.target.value)} error={f.host} />
          <TextField label={t('siem.field.port')} type="number" min={1} max={65535} value={port} onChange={(ev) => setPort(ev.target.value)} error={f.port} />
        </>
      )}
      <SelectField label={t('siem.field.format')} value={format} onChange={(ev) => setFormat(ev.target.value as Format)} options={SIEM_FORMATS.map((v) => ({ value: v, label: t(`siem.format.${v}`) }))} error={f.format} />
      {tls ? (
        <>
          <TextAreaField label={t('siem.field.ca')} hint={t('siem.field.caHint')} optional rows={4} value={caPem} onChange={(ev) => setCaPem(ev.target.value)} error={f.caPem} />
          <TextAreaField label={t('siem.field.clientCert')} optional rows={3} value={clientCertPem} onChange={(ev) => setClientCertPem(ev.target.value)} error={f.clientCertPem} />
          <TextAreaField label={t('siem.field.clientKey')} hint={t('siem.field.clientKeyHint')} optional rows={3} value={clientKeyPem} placeholder={dest?.hasClientKey ? t('siem.secretSet') : ''} onChange={(ev) => setClientKeyPem(ev.target.value)} error={f.clientKeyPem} />
        </>
      ) : null}
      <TextField label={t('siem.field.threshold')} type="number" min={1} value={threshold} onChange={(ev) => setThreshold(ev.target.value)} error={f.lagAlertThreshold} />
      {dest ? null : (
        <SelectField label={t('siem.field.startFrom')} value={startFrom} onChange={(ev) => setStartFrom(ev.target.value as 'now' | 'beginning')} options={[{ value: 'now', label: t('siem.start.now') }, { value: 'beginning', label: t('siem.start.beginning') }]} />
      )}
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

function target(d: Destination): string {
  return d.transport === 'https' ? (d.url ?? '') : `${d.transport}://${d.host}:${d.port}`;
}

function State({ d }: { d: Destination }) {
  if (!d.enabled) return <Badge>{t('siem.state.off')}</Badge>;
  if (d.status.failures > 0) return <Badge tone="danger">{tp('siem.state.failing', d.status.failures)}</Badge>;
  if (d.status.behind) return <Badge tone="warning">{t('siem.state.behind')}</Badge>;
  return <Badge tone="success">{t('siem.state.ok')}</Badge>;
}

export function SiemDestinations() {
  const { can } = useMe();
  const manage = can('siem.manage');
  const list = useResource(() => call(e.list), []);
  const [editing, setEditing] = useState<Destination | 'new' | null>(null);
  const [tested, setTested] = useState<{ name: string; ok: boolean; error: string | null } | null>(null);
  const test = useSubmit(async (d: Destination) => {
    const r = await call(e.test, { params: { id: d.id } });
    setTested({ name: d.name, ...r });
    return true as const;
  });
  const toggle = useSubmit(async (d: Destination) => {
    await call(e.update, { params: { id: d.id }, body: { enabled: !d.enabled } });
    list.reload();
    return true as const;
  });
  return (
    <Page title={t('siem.title')} subtitle={t('siem.subtitle')} wide actions={manage ? <Button variant="primary" onClick={() => setEditing('new')}>{t('siem.new')}</Button> : undefined}>
      <SecurityNav />
      {tested ? (
        <Notice tone={tested.ok ? 'success' : 'danger'}>
          {tested.ok ? t('siem.testOk', { name: tested.name }) : t('siem.testFailed', { name: tested.name, error: tested.error ?? '' })}
        </Notice>
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error ?? test.error ?? toggle.error} onRetry={list.reload} />
      {list.data ? (
        <Section title={t('siem.title')} id="siem">
          <DataTable
            caption={t('siem.title')}
            rows={list.data.items}
            rowKey={(d) => d.id}
            empty={<EmptyState title={t('siem.empty')} />}
            columns={[
              { key: 'name', header: t('siem.col.name'), render: (d) => <><strong>{d.name}</strong> <Badge>{t(`siem.format.${d.format}`)}</Badge></> },
              { key: 'target', header: t('siem.col.target'), render: (d) => <code className="adm-break">{target(d)}</code> },
              { key: 'state', header: t('siem.col.state'), render: (d) => <State d={d} /> },
              { key: 'lag', header: t('siem.col.lag'), numeric: true, render: (d) => d.status.lag.toLocaleString() },
              { key: 'success', header: t('siem.col.lastSuccess'), render: (d) => <When value={d.status.lastSuccessAt} /> },
              { key: 'error', header: t('siem.col.lastError'), render: (d) => (d.status.lastError ? <span title={d.status.lastErrorAt ?? ''}>{d.status.lastError}</span> : '—') },
              ...(manage
                ? [
                    {
                      key: 'actions',
                      header: t('admin.common.actions'),
                      render: (d: Destination) => (
                        <div className="adm-actions">
                          <Button className="btn--small" busy={test.busy} onClick={() => void test.run(d)}>{t('siem.test')}</Button>
                          <Button className="btn--small" onClick={() => setEditing(d)}>{t('action.edit')}</Button>
                          <Button className="btn--small" busy={toggle.busy} onClick={() => void toggle.run(d)}>{d.enabled ? t('siem.disable') : t('siem.enable')}</Button>
                          <ConfirmButton variant="danger" label={t('action.delete')} title={t('siem.deleteTitle')} body={<p>{t('siem.deleteBody', { name: d.name })}</p>}
                            onConfirm={async () => { await call(e.remove, { params: { id: d.id } }); list.reload(); }} />
                        </div>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        </Section>
      ) : null}
      {editing ? (
        <Dialog open title={editing === 'new' ? t('siem.new') : t('siem.editTitle')} onClose={() => setEditing(null)}>
          <DestinationForm dest={editing === 'new' ? null : editing} onDone={() => { setEditing(null); list.reload(); }} />
        </Dialog>
      ) : null}
    </Page>
  );
}
