/**
 * The console's "read and confirm" screen (decision 0213): while the internal data-handling policy in force
 * waits for this person's confirmation, the console shows it instead of the page asked for — one read, one
 * button, then straight back to the page. The gate is the console's; the API keeps answering (an agent's
 * integrations, a reply mid-flight), and a failed check lets the page through rather than locking anyone out.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { policyEndpoints as e } from '../../../src/platform/http/schemas/policies.js';
import { call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { PolicyText } from './PolicyText.js';
import './policies.css';

type Mine = Awaited<ReturnType<typeof call<typeof e.mine>>>;

/** Once confirmed (or nothing pending), the page load does not ask again for a few minutes. */
let clearUntil = 0;
const RECHECK_MS = 5 * 60_000;

export function AttestationGate({ children }: { children: ReactNode }) {
  const [mine, setMine] = useState<Mine | null>(null);
  const [checked, setChecked] = useState(Date.now() < clearUntil);
  useEffect(() => {
    if (checked) return;
    let live = true;
    call(e.mine)
      .then((m) => {
        if (!live) return;
        if (!m.pending) clearUntil = Date.now() + RECHECK_MS;
        setMine(m);
        setChecked(true);
      })
      .catch(() => live && setChecked(true));
    return () => {
      live = false;
    };
  }, [checked]);
  const confirm = useSubmit(async () => {
    if (!mine?.current) return;
    await call(e.attest, { body: { versionId: mine.current.id } });
    clearUntil = Date.now() + RECHECK_MS;
    setMine({ ...mine, pending: false });
  });
  if (!checked) return <div className="page"><Loading /></div>;
  if (!mine?.pending || !mine.current) return <>{children}</>;
  const button = <Button variant="primary" busy={confirm.busy} onClick={() => void confirm.run()}>{t('policies.attest.confirm')}</Button>;
  return (
    <Page title={t('policies.attest.title')} subtitle={t('policies.attest.intro', { version: mine.current.version, date: formatDateTime(mine.current.effectiveAt) })}>
      <div className="policy-attest">
        <p className="policy-attest__hint">{t('policies.attest.later')}</p>
        <div className="policy-attest__actions">{button}</div>
        <PolicyText title={mine.current.title} html={mine.current.html} generatedHtml={mine.current.generatedHtml} />
        <ErrorNotice error={confirm.error} />
        <div className="policy-attest__actions">{button}</div>
      </div>
    </Page>
  );
}
