/**
 * Legal hold on the customer panel (decision 0207): whether the customer (or this ticket) is on hold and why, for
 * those who may read privacy records; privacy managers put it on hold or lift it, each with a reason.
 */
import { retentionEndpoints } from '../../../src/platform/http/schemas/retention.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, ErrorNotice } from '../ui/notices.js';

export function LegalHold({ objectType, objectId }: { objectType: 'customer' | 'ticket'; objectId: string }) {
  const { can } = useMe();
  const allowed = can('privacy.read');
  const holds = useResource((signal) => (allowed ? call(retentionEndpoints.holds, { query: { active: true, objectType, objectId } }, { signal }) : Promise.resolve(null)), [allowed, objectType, objectId]);
  const change = useSubmit(async (holdId: string | null) => {
    const reason = window.prompt(t(holdId ? 'retention.liftReason' : 'agent.hold.reason'))?.trim();
    if (!reason || reason.length < 3) return;
    if (holdId) await call(retentionEndpoints.liftHold, { params: { id: holdId }, body: { reason } });
    else await call(retentionEndpoints.setHold, { body: { objectType, objectId, reason } });
    holds.reload();
  });
  if (!allowed || !holds.data) return null;
  const hold = holds.data.items[0];
  return (
    <div className="legal-hold">
      <ErrorNotice error={change.error} />
      {hold ? <Badge tone="warning">{t(`agent.hold.on.${objectType}`)}: {hold.reason}</Badge> : null}
      {can('privacy.manage') ? (
        <Button variant="ghost" className="btn--small" busy={change.busy} onClick={() => void change.run(hold?.id ?? null)}>
          {t(hold ? 'retention.lift' : `agent.hold.set.${objectType}`)}
        </Button>
      ) : null}
    </div>
  );
}
