/**
 * Sign-in methods: passkeys (add, rename, remove), the authenticator app (set
 * up with a QR code, remove), email and SMS codes, recovery codes (replace,
 * shown once). Removing a factor or replacing codes asks for a fresh factor
 * (the step-up dialog); the server never lets the last required factor go.
 */
import { useState, type FormEvent } from 'react';
import type { ResponseOf } from '../../../src/platform/http/schemas/common.js';
import { mfaEndpoints } from '../../../src/platform/http/schemas/mfa.js';
import { PasskeyEnrol, RecoveryCodes, TotpEnrol, type Enrolled } from '../auth/enrol.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import { RelativeTime } from '../ui/time.js';

type Overview = ResponseOf<typeof mfaEndpoints.overview>;
type Credential = Overview['factors']['webauthn'][number];

export function Security() {
  const overview = useResource(() => call(mfaEndpoints.overview), []);
  const [codes, setCodes] = useState<string[] | null>(null);
  const enrolled = (r: Enrolled) => {
    if (r.recoveryCodes?.length) setCodes(r.recoveryCodes);
    overview.reload();
  };
  if (overview.error) return <ErrorNotice error={overview.error} onRetry={overview.reload} />;
  if (!overview.data) return <Loading />;
  const o = overview.data;
  if (codes) {
    return (
      <Section title={t('auth.recovery.heading')} id="account-new-codes">
        <RecoveryCodes codes={codes} onDone={() => setCodes(null)} doneLabel={t('account.recovery.done')} />
      </Section>
    );
  }
  return (
    <>
      {o.phishingResistantRequired ? <Notice tone="info" title={t('account.security.prTitle')}>{t('account.security.prBody')}</Notice> : null}
      <Passkeys credentials={o.factors.webauthn} onChange={overview.reload} onEnrolled={enrolled} />
      <Totp enrolled={o.factors.totp} onChange={overview.reload} onEnrolled={enrolled} />
      <CodeChannel channel="email" enrolled={o.factors.email} destination={null} onChange={overview.reload} onEnrolled={enrolled} />
      <CodeChannel channel="sms" enrolled={o.factors.sms.enrolled} destination={o.factors.sms.phone} onChange={overview.reload} onEnrolled={enrolled} />
      <Recovery left={o.factors.recoveryCodesLeft} onNew={setCodes} onChange={overview.reload} />
    </>
  );
}

function Confirm({ open, title, body, confirmLabel, busy, error, onConfirm, onClose }: { open: boolean; title: string; body: string; confirmLabel: string; busy: boolean; error: unknown; onConfirm: () => void; onClose: () => void }) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{t('action.cancel')}</Button>
          <Button variant="danger" busy={busy} onClick={onConfirm}>{confirmLabel}</Button>
        </>
      }
    >
      <p>{body}</p>
      <ErrorNotice error={error} />
    </Dialog>
  );
}

function Passkeys({ credentials, onChange, onEnrolled }: { credentials: Credential[]; onChange: () => void; onEnrolled: (r: Enrolled) => void }) {
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [removing, setRemoving] = useState<Credential | null>(null);
  const rename = useSubmit((id: string, name: string) => call(mfaEndpoints.renameCredential, { params: { id }, body: { name } }));
  const remove = useSubmit((id: string) => call(mfaEndpoints.deleteCredential, { params: { id } }));

  const saveName = async (event: FormEvent) => {
    event.preventDefault();
    if (renaming && (await rename.run(renaming.id, renaming.name.trim()))) {
      setRenaming(null);
      onChange();
    }
  };
  const confirmRemove = async () => {
    if (removing && (await remove.run(removing.id))) {
      setRemoving(null);
      onChange();
    }
  };

  return (
    <Section title={t('account.passkeys.title')} id="account-passkeys" actions={adding ? null : <Button variant="primary" onClick={() => setAdding(true)}>{t('account.passkeys.add')}</Button>}>
      <p>{t('account.passkeys.intro')}</p>
      {adding ? (
        <PasskeyEnrol
          onEnrolled={(r) => {
            setAdding(false);
            onEnrolled(r);
          }}
          onCancel={() => setAdding(false)}
        />
      ) : null}
      {credentials.length === 0 ? <p className="muted">{t('account.passkeys.none')}</p> : (
        <ul className="factor-list" aria-label={t('account.passkeys.title')}>
          {credentials.map((c) => (
            <li key={c.id} className="factor-list__item">
              {renaming?.id === c.id ? (
                <form className="factor-list__rename" onSubmit={(e) => void saveName(e)} noValidate>
                  <TextField label={t('account.passkeys.newName')} value={renaming.name} maxLength={60} onChange={(e) => setRenaming({ id: c.id, name: e.target.value })} error={rename.fieldErrors.name} required />
                  <ErrorNotice error={rename.error} />
                  <div className="form__actions">
                    <Button type="submit" variant="primary" busy={rename.busy}>{t('action.save')}</Button>
                    <Button onClick={() => setRenaming(null)}>{t('action.cancel')}</Button>
                  </div>
                </form>
              ) : (
                <>
                  <div className="factor-list__main">
                    <p className="factor-list__name">{c.name}</p>
                    <p className="factor-list__meta">
                      {t('account.passkeys.added')} <RelativeTime value={c.createdAt} />
                      {' · '}
                      {c.lastUsedAt ? <>{t('account.passkeys.used')} <RelativeTime value={c.lastUsedAt} /></> : t('account.passkeys.neverUsed')}
                      {c.backedUp ? <> <Badge tone="info">{t('account.passkeys.synced')}</Badge></> : null}
                    </p>
                  </div>
                  <div className="factor-list__actions">
                    <Button className="btn--small" onClick={() => setRenaming({ id: c.id, name: c.name })} aria-label={t('account.passkeys.renameLabel', { name: c.name })}>{t('account.passkeys.rename')}</Button>
                    <Button className="btn--small" variant="danger" onClick={() => { remove.reset(); setRemoving(c); }} aria-label={t('account.passkeys.removeLabel', { name: c.name })}>{t('account.remove')}</Button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <Confirm
        open={removing !== null}
        title={t('account.passkeys.removeTitle')}
        body={t('account.passkeys.removeBody', { name: removing?.name ?? '' })}
        confirmLabel={t('account.remove')}
        busy={remove.busy}
        error={remove.error}
        onConfirm={() => void confirmRemove()}
        onClose={() => setRemoving(null)}
      />
    </Section>
  );
}

function Totp({ enrolled, onChange, onEnrolled }: { enrolled: boolean; onChange: () => void; onEnrolled: (r: Enrolled) => void }) {
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState(false);
  const remove = useSubmit(() => call(mfaEndpoints.deleteTotp));
  const confirmRemove = async () => {
    if (await remove.run()) {
      setRemoving(false);
      onChange();
    }
  };
  return (
    <Section title={t('account.totp.title')} id="account-totp">
      <p>
        {enrolled ? <Badge tone="success">{t('account.on')}</Badge> : <Badge>{t('account.off')}</Badge>} {t('account.totp.intro')}
      </p>
      {adding ? (
        <TotpEnrol
          onEnrolled={(r) => {
            setAdding(false);
            onEnrolled(r);
          }}
          onCancel={() => setAdding(false)}
        />
      ) : (
        <div className="form__actions">
          {enrolled ? (
            <Button variant="danger" onClick={() => { remove.reset(); setRemoving(true); }}>{t('account.totp.remove')}</Button>
          ) : (
            <Button variant="primary" onClick={() => setAdding(true)}>{t('account.totp.add')}</Button>
          )}
        </div>
      )}
      <Confirm open={removing} title={t('account.totp.removeTitle')} body={t('account.totp.removeBody')} confirmLabel={t('account.remove')} busy={remove.busy} error={remove.error} onConfirm={() => void confirmRemove()} onClose={() => setRemoving(false)} />
    </Section>
  );
}

function CodeChannel({ channel, enrolled, destination, onChange, onEnrolled }: { channel: 'email' | 'sms'; enrolled: boolean; destination: string | null; onChange: () => void; onEnrolled: (r: Enrolled) => void }) {
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [challenge, setChallenge] = useState<{ id: string; destination: string } | null>(null);
  const [removing, setRemoving] = useState(false);
  const start = useSubmit(() => call(mfaEndpoints.codesEnrol, { body: channel === 'sms' ? { channel, phone: phone.trim() } : { channel } }));
  const confirm = useSubmit(() => call(mfaEndpoints.codesConfirm, { body: { channel, challengeId: challenge?.id ?? '', code: code.replace(/\s+/g, '') } }));
  const remove = useSubmit(() => call(mfaEndpoints.deleteCodes, { params: { channel } }));
  const title = channel === 'email' ? t('account.email.title') : t('account.sms.title');

  const begin = async (event: FormEvent) => {
    event.preventDefault();
    const sent = await start.run();
    if (sent) setChallenge({ id: sent.challengeId, destination: sent.destination });
  };
  const finish = async (event: FormEvent) => {
    event.preventDefault();
    const r = await confirm.run();
    if (r) {
      setChallenge(null);
      setCode('');
      onEnrolled(r);
    }
  };
  const confirmRemove = async () => {
    if (await remove.run()) {
      setRemoving(false);
      onChange();
    }
  };

  return (
    <Section title={title} id={`account-${channel}`}>
      <p>
        {enrolled ? <Badge tone="success">{t('account.on')}</Badge> : <Badge>{t('account.off')}</Badge>}{' '}
        {channel === 'email' ? t('account.email.intro') : t('account.sms.intro')}
        {enrolled && destination ? <> {t('account.sms.to', { phone: destination })}</> : null}
      </p>
      {enrolled ? (
        <div className="form__actions">
          <Button variant="danger" onClick={() => { remove.reset(); setRemoving(true); }}>{t('account.codes.turnOff')}</Button>
        </div>
      ) : challenge ? (
        <form className="form" onSubmit={(e) => void finish(e)} noValidate>
          <p role="status">{t('auth.prove.codeSent', { destination: challenge.destination })}</p>
          <TextField label={t('auth.prove.codeLabel')} inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} error={confirm.fieldErrors.code} required />
          <ErrorNotice error={confirm.error} />
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={confirm.busy}>{t('account.codes.confirm')}</Button>
            <Button onClick={() => setChallenge(null)}>{t('action.cancel')}</Button>
          </div>
        </form>
      ) : (
        <form className="form" onSubmit={(e) => void begin(e)} noValidate>
          {channel === 'sms' ? <TextField label={t('account.sms.phone')} hint={t('account.sms.phoneHint')} type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} error={start.fieldErrors.phone} required /> : null}
          <ErrorNotice error={start.error} />
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={start.busy}>{t('account.codes.turnOn')}</Button>
          </div>
        </form>
      )}
      <Confirm open={removing} title={t('account.codes.offTitle', { channel: title })} body={t('account.codes.offBody')} confirmLabel={t('account.codes.turnOff')} busy={remove.busy} error={remove.error} onConfirm={() => void confirmRemove()} onClose={() => setRemoving(false)} />
    </Section>
  );
}

function Recovery({ left, onNew, onChange }: { left: number; onNew: (codes: string[]) => void; onChange: () => void }) {
  const [asking, setAsking] = useState(false);
  const regenerate = useSubmit(() => call(mfaEndpoints.recoveryCodes));
  const confirm = async () => {
    const r = await regenerate.run();
    if (r) {
      setAsking(false);
      onNew(r.recoveryCodes);
      onChange();
    }
  };
  return (
    <Section title={t('account.recovery.title')} id="account-recovery">
      <p>{tp('account.recovery.left', left)} {t('account.recovery.intro')}</p>
      {left <= 3 ? <Notice tone="warning" title={t('account.recovery.low')} /> : null}
      <div className="form__actions">
        <Button onClick={() => { regenerate.reset(); setAsking(true); }}>{t('account.recovery.regenerate')}</Button>
      </div>
      <Dialog
        open={asking}
        title={t('account.recovery.regenerateTitle')}
        onClose={() => setAsking(false)}
        footer={
          <>
            <Button onClick={() => setAsking(false)}>{t('action.cancel')}</Button>
            <Button variant="primary" busy={regenerate.busy} onClick={() => void confirm()}>{t('account.recovery.regenerate')}</Button>
          </>
        }
      >
        <p>{t('account.recovery.regenerateBody')}</p>
        <ErrorNotice error={regenerate.error} />
      </Dialog>
    </Section>
  );
}
