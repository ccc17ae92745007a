/**
 * Admin → Chat (docs/chat.md): whether the chat is on, the team that receives chats, the web origins allowed to
 * embed the widget (checked here line by line before saving, and again by the server), the concurrent-chat limit
 * per agent and the offer timeout; the identity secret (rotated here, shown once); and the script tag to paste
 * into the organisation's site, as the server writes it (with the configured public address, which the address
 * this page was opened at need not be).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { CHAT_MAX_ORIGINS, chatEndpoints } from '../../../src/platform/http/schemas/chat.js';
import { teamEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { parseOrigins, type OriginLine } from '../agent/chat/origins.js';
import { AdminNav } from './AdminNav.js';
import { ConfirmButton, When } from './shared.js';

type Settings = NonNullable<ReturnType<typeof useSettings>['data']>;

function useSettings() {
  return useResource((signal) => call(chatEndpoints.settings, {}, { signal }), []);
}

function originProblemText(p: OriginLine): string {
  return t('agentChat.settings.originProblem', { line: p.line, value: p.value, reason: t(`agentChat.settings.origin.${p.problem}`) });
}

function SettingsForm({ settings, onSaved }: { settings: Settings; onSaved: () => void }) {
  const { can } = useMe();
  const teams = useResource((signal) => (can('users.read') ? call(teamEndpoints.list, {}, { signal }) : Promise.resolve(null)), []);
  const [enabled, setEnabled] = useState(settings.enabled);
  const [teamId, setTeamId] = useState(settings.teamId ?? '');
  const [origins, setOrigins] = useState(settings.allowedOrigins.join('\n'));
  const [limit, setLimit] = useState(String(settings.maxChatsPerAgent));
  const [timeout, setTimeoutSeconds] = useState(String(settings.offerTimeoutSeconds));
  const [originErrors, setOriginErrors] = useState<string[]>([]);
  const [teamError, setTeamError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit(async () => {
    setSaved(false);
    const parsed = parseOrigins(origins);
    const problems = parsed.problems.map(originProblemText);
    if (parsed.origins.length > CHAT_MAX_ORIGINS) problems.push(t('agentChat.settings.tooManyOrigins', { max: CHAT_MAX_ORIGINS }));
    if (enabled && parsed.origins.length === 0) problems.push(t('agentChat.settings.noOrigins'));
    setOriginErrors(problems);
    // The server refuses it too: chats need a team to be offered to.
    const noTeam = enabled && !teamId;
    setTeamError(noTeam ? t('agentChat.settings.teamRequired') : undefined);
    if (problems.length || noTeam) return false;
    await call(chatEndpoints.updateSettings, {
      body: { enabled, teamId: teamId || null, allowedOrigins: parsed.origins, maxChatsPerAgent: Number(limit), offerTimeoutSeconds: Number(timeout) },
    });
    setOrigins(parsed.origins.join('\n'));
    setSaved(true);
    onSaved();
    return true;
  });
  const fe = submit.fieldErrors;
  const serverOriginError = Object.entries(fe).find(([k]) => k.startsWith('allowedOrigins'))?.[1];
  const originError = originErrors.length ? originErrors.join(' ') : serverOriginError;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const teamOptions = [{ value: '', label: t('agentChat.settings.noTeam') }, ...(teams.data?.teams ?? []).map((x) => ({ value: x.id, label: x.name }))];
  if (settings.teamId && !teams.data?.teams.some((x) => x.id === settings.teamId)) teamOptions.push({ value: settings.teamId, label: t('agentChat.settings.currentTeam') });
  return (
    <form className="form form--wide" onSubmit={onSubmit} noValidate>
      <CheckboxField label={t('agentChat.settings.enabled')} hint={t('agentChat.settings.enabledHint')} checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
      <SelectField label={t('agentChat.settings.team')} hint={t('agentChat.settings.teamHint')} value={teamId} onChange={(e) => { setTeamId(e.target.value); setTeamError(undefined); }} options={teamOptions} error={teamError ?? fe.teamId} />
      <ErrorNotice error={teams.error} />
      <TextAreaField label={t('agentChat.settings.origins')} hint={t('agentChat.settings.originsHint')} rows={4} value={origins} spellCheck={false} autoCapitalize="off"
        onChange={(e) => { setOrigins(e.target.value); setOriginErrors([]); }} error={originError} />
      {originErrors.length > 1 ? (
        <ul className="field__error chat-settings__problems" aria-label={t('agentChat.settings.originProblems')}>
          {originErrors.map((p) => <li key={p}>{p}</li>)}
        </ul>
      ) : null}
      <div className="field-row">
        <TextField label={t('agentChat.settings.limit')} hint={t('agentChat.settings.limitHint')} type="number" inputMode="numeric" min={1} max={20} value={limit} onChange={(e) => setLimit(e.target.value)} error={fe.maxChatsPerAgent} />
        <TextField label={t('agentChat.settings.timeout')} hint={t('agentChat.settings.timeoutHint')} type="number" inputMode="numeric" min={10} max={600} value={timeout} onChange={(e) => setTimeoutSeconds(e.target.value)} error={fe.offerTimeoutSeconds} />
      </div>
      <ErrorNotice error={submit.error} />
      {saved && !submit.busy ? <Notice tone="success">{t('agentChat.settings.saved')}</Notice> : null}
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => setCopied(false), [text]);
  return (
    <Button className="btn--small" aria-label={label} onClick={() => void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => undefined)}>
      {copied ? t('action.copied') : t('action.copy')}
    </Button>
  );
}

function IdentitySecret({ createdAt, onRotated }: { createdAt: string | null; onRotated: () => void }) {
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <Section title={t('agentChat.settings.secretTitle')} id="chat-secret">
      <p>{t('agentChat.settings.secretBody')}</p>
      <p>{createdAt ? <>{t('agentChat.settings.secretSince')} <When value={createdAt} /></> : t('agentChat.settings.secretNone')}</p>
      {secret ? (
        <Notice tone="warning" title={t('agentChat.settings.secretOnceTitle')}>
          <p>{t('agentChat.settings.secretOnceBody')}</p>
          <p><code className="adm-secret" data-testid="chat-identity-secret">{secret}</code></p>
          <CopyButton text={secret} label={t('agentChat.settings.copySecret')} />{' '}
          <Button className="btn--small" onClick={() => setSecret(null)}>{t('agentChat.settings.secretDismiss')}</Button>
        </Notice>
      ) : null}
      <ConfirmButton
        small={false}
        label={createdAt ? t('agentChat.settings.rotate') : t('agentChat.settings.create')}
        title={createdAt ? t('agentChat.settings.rotate') : t('agentChat.settings.create')}
        body={<p>{createdAt ? t('agentChat.settings.rotateBody') : t('agentChat.settings.createBody')}</p>}
        confirmLabel={createdAt ? t('agentChat.settings.rotate') : t('agentChat.settings.create')}
        onConfirm={async () => {
          const res = await call(chatEndpoints.rotateSecret);
          setSecret(res.secret);
          onRotated();
        }}
      />
    </Section>
  );
}

export function ChatSettings() {
  const settings = useSettings();
  return (
    <Page title={t('agentChat.settings.title')} subtitle={t('agentChat.settings.subtitle')} wide>
      <AdminNav />
      {settings.loading && !settings.data ? <Loading /> : null}
      <ErrorNotice error={settings.error} onRetry={settings.reload} />
      {settings.data ? (
        <>
          <Section title={t('agentChat.settings.formTitle')} id="chat-settings">
            <SettingsForm settings={settings.data} onSaved={settings.reload} />
            {settings.data.allowedOrigins.length ? <p className="muted">{tp('agentChat.settings.originCount', settings.data.allowedOrigins.length)}</p> : null}
          </Section>
          <Section title={t('agentChat.settings.embedTitle')} id="chat-embed">
            <p>{t('agentChat.settings.embedBody')}</p>
            <pre className="chat-settings__snippet" tabIndex={0} aria-label={t('agentChat.settings.embedTitle')}><code>{settings.data.embedSnippet}</code></pre>
            <CopyButton text={settings.data.embedSnippet} label={t('agentChat.settings.copySnippet')} />
          </Section>
          <IdentitySecret createdAt={settings.data.identitySecretAt} onRotated={settings.reload} />
        </>
      ) : null}
    </Page>
  );
}
