/**
 * Where `/` leads after sign-in (decision 0160): administrators to the getting-started checklist while it shows,
 * security officers to the security centre, auditors to the audit trail, agents to their tickets. It only picks a
 * page; every page still checks its own permissions.
 */
import { useEffect, useState } from 'react';
import { Redirect } from 'wouter';
import { onboardingEndpoints } from '../../../src/platform/http/schemas/onboarding.js';
import { call } from '../api.js';
import { useMe } from '../session.js';
import { Loading } from '../ui/notices.js';

export function landingFor(can: (permission: string) => boolean): string {
  if (can('audit.read')) return can('quarantine.read') || can('reviews.manage') ? '/security' : '/security/audit';
  if (can('tickets.read')) return '/tickets';
  return '/account';
}

export function Landing() {
  const { can } = useMe();
  const admin = can('users.manage');
  const [target, setTarget] = useState<string | null>(admin ? null : landingFor(can));
  useEffect(() => {
    if (!admin) return;
    let cancelled = false;
    call(onboardingEndpoints.read).then(
      (o) => !cancelled && setTarget(o.show ? '/admin/getting-started' : landingFor(can)),
      () => !cancelled && setTarget(landingFor(can)),
    );
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [admin]);
  if (!target) return <div className="page"><Loading /></div>;
  return <Redirect to={target} replace />;
}
