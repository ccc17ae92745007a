/** Webhooks: subscribe a URL to events (the signing secret is shown once), edit, disable, deliveries, delete. */
import { useState } from 'react';
import type { Static } from 'typebox';
import { WEBHOOK_EVENTS, webhookEndpoints, type Webhook } from '../../../src/platform/http/schemas/webhooks.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { Dialog } from '../ui/Dialog.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { AdminNav } from './AdminNav.js';
import { ChoiceList, ConfirmButton, When } from './shared.js';

type Hook = Static<typeof Webhook>;
type Event = (typeof WEBHOOK_EVENTS)[number];

function HookForm({ hook, onDone }: { hook: Hook | null; onDone: (secret: string | null) => void }) {
  const [url, setUrl] = useState(hook?.url ?? 'https://');
  const [events, setEvents] = useState<string[]>(hook?.events ?? ['ticket.created']);
  const submit = useSubmit(async () => {
    const body = { url: url.trim(), events: events as Event[] };
    if (hook) {
      await call(webhookEndpoints.update, { params: { id: hook.id }, body });
      return { secret: null };
    }
    return { secret: (await call(webhookEndpoints.create, { body })).secret };
  });
  return (
    <form className="form" noValidate onSubmit={async (e) => { e.preventDefault(); const r = await submit.run(); if (r) onDone(r.secret); }}>
      <TextField label={t('admin.webhooks.url')} hint={t('admin.webhooks.urlHint')} type="url" value={url} onChange={(e) => setUrl(e.target.value)} error={submit.fieldErrors.url} />
      <ChoiceList legend={t('admin.webhooks.events')} options={WEBHOOK_EVENTS.map((ev) => ({ value: ev, label: ev }))} value={events} onChange={setEvents} error={submit.fieldErrors.events ?? Object.entries(submit.fieldErrors).find(([k]) => k.startsWith('events'))?.[1]} />
      <ErrorNotice error={submit.error} />
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

function Deliveries({ hook }: { hook: Hook }) {
  const list = useResource(() => call(webhookEndpoints.deliveries, { params: { id: hook.id } }), [hook.id]);
  if (list.error) return <ErrorNotice error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading />;
  return (
    <DataTable
      caption={t('admin.webhooks.deliveries')}
      rows={list.data.items}
      rowKey={(d) => d.id}
      empty={<EmptyState title={t('admin.webhooks.noDeliveries')} />}
      columns={[
        { key: 'event', header: t('admin.webhooks.event'), render: (d) => <code>{d.eventType}</code> },
        { key: 'status', header: t('admin.staff.col.status'), render: (d) => <Badge tone={d.status === 'delivered' ? 'success' : d.status === 'failed' ? 'danger' : 'info'}>{d.status}</Badge> },
        { key: 'attempts', header: t('admin.webhooks.attempts'), numeric: true, render: (d) => d.attempts },
        { key: 'error', header: t('admin.webhooks.lastError'), render: (d) => d.lastError ?? '—' },
        { key: 'when', header: t('admin.webhooks.delivered'), render: (d) => <When value={d.deliveredAt} /> },
      ]}
    />
  );
}

export function Webhooks() {
  const list = useResource(() => call(webhookEndpoints.list), []);
  const [editing, setEditing] = useState<Hook | 'new' | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [showing, setShowing] = useState<Hook | null>(null);
  const toggle = useSubmit(async (hook: Hook) => {
    await call(webhookEndpoints.update, { params: { id: hook.id }, body: { active: !hook.active } });
    list.reload();
    return true as const;
  });
  return (
    <Page title={t('admin.webhooks.title')} subtitle={t('admin.webhooks.subtitle')} wide actions={<Button variant="primary" onClick={() => { setSecret(null); setEditing('new'); }}>{t('admin.webhooks.new')}</Button>}>
      <AdminNav />
      {secret ? (
        <Notice tone="warning" title={t('admin.webhooks.secretTitle')}>
          <p>{t('admin.webhooks.secretBody')}</p>
          <p><code className="adm-secret">{secret}</code></p>
          <Button className="btn--small" onClick={() => setSecret(null)}>{t('admin.tokens.dismiss')}</Button>
        </Notice>
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error ?? toggle.error} onRetry={list.reload} />
      {list.data ? (
        <Section title={t('admin.webhooks.title')} id="webhooks">
          <DataTable
            caption={t('admin.webhooks.title')}
            rows={list.data.items}
            rowKey={(h) => h.id}
            empty={<EmptyState title={t('admin.webhooks.empty')} />}
            columns={[
              { key: 'url', header: t('admin.webhooks.url'), render: (h) => <code className="adm-break">{h.url}</code> },
              { key: 'events', header: t('admin.webhooks.events'), render: (h) => h.events.map((e) => <code key={e} className="adm-code">{e}</code>) },
              { key: 'state', header: t('admin.staff.col.status'), render: (h) => (h.active ? <Badge tone="success">{t('admin.webhooks.on')}</Badge> : <Badge>{t('admin.webhooks.off')}</Badge>) },
              {
                key: 'actions', header: t('admin.common.actions'), render: (h) => (
                  <div className="adm-actions">
                    <Button className="btn--small" onClick={() => setShowing(h)}>{t('admin.webhooks.deliveries')}</Button>
                    <Button className="btn--small" onClick={() => setEditing(h)}>{t('action.edit')}</Button>
                    <Button className="btn--small" busy={toggle.busy} onClick={() => void toggle.run(h)}>{h.active ? t('admin.webhooks.disable') : t('admin.webhooks.enable')}</Button>
                    <ConfirmButton variant="danger" label={t('action.delete')} title={t('admin.webhooks.deleteTitle')} body={<p>{t('admin.webhooks.deleteBody', { url: h.url })}</p>}
                      onConfirm={async () => { await call(webhookEndpoints.remove, { params: { id: h.id } }); list.reload(); }} />
                  </div>
                ),
              },
            ]}
          />
        </Section>
      ) : null}
      {editing ? (
        <Dialog open title={editing === 'new' ? t('admin.webhooks.new') : t('admin.webhooks.editTitle')} onClose={() => setEditing(null)}>
          <HookForm hook={editing === 'new' ? null : editing} onDone={(s) => { setEditing(null); setSecret(s); list.reload(); }} />
        </Dialog>
      ) : null}
      {showing ? (
        <Dialog open title={t('admin.webhooks.deliveriesOf', { url: showing.url })} onClose={() => setShowing(null)}>
          <Deliveries hook={showing} />
        </Dialog>
      ) : null}
    </Page>
  );
}
