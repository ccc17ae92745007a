/**
 * Picks the area by the first path segment and lazy-loads it, so each area is
 * its own chunk. Staff areas render only with a verified second factor; the
 * portal and the sign-in/setup pages have their own layouts.
 */
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Redirect, useLocation, useSearch } from 'wouter';
import { t } from './i18n/index.js';
import { useSession } from './session.js';
import { Layout } from './shell/Layout.js';
import { DeviceBinder } from './devices/Binder.js';
import { Landing } from './shell/Landing.js';
import { AttestationGate } from './policies/AttestationGate.js';
import { NotFound } from './shell/NotFound.js';
import { ErrorNotice, Loading } from './ui/notices.js';

const AuthArea = lazy(() => import('./auth/index.js'));
const AgentArea = lazy(() => import('./agent/index.js'));
const AccountArea = lazy(() => import('./account/index.js'));
const AdminArea = lazy(() => import('./admin/index.js'));
const SecurityArea = lazy(() => import('./security/index.js'));
const PortalArea = lazy(() => import('./portal/index.js'));
const KnowledgeArea = lazy(() => import('./knowledge/index.js'));
const ReportsArea = lazy(() => import('./reports/index.js'));
const TrainingArea = lazy(() => import('./training/index.js'));
const StepUpHost = lazy(() => import('./auth/StepUpHost.js'));

type Area = 'auth' | 'agent' | 'account' | 'admin' | 'security' | 'portal' | 'knowledge' | 'reports' | 'training' | 'home' | 'none';

const PREFIXES: Array<[string, Area]> = [
  ['/signin', 'auth'],
  ['/setup', 'auth'],
  ['/reset-password', 'auth'],
  ['/accept-invite', 'auth'],
  ['/tickets', 'agent'],
  ['/customers', 'agent'],
  ['/chats', 'agent'],
  ['/link', 'agent'],
  ['/account', 'account'],
  ['/admin', 'admin'],
  ['/security', 'security'],
  ['/access-reviews', 'security'],
  ['/quarantine', 'security'],
  ['/incidents', 'security'],
  ['/portal', 'portal'],
  ['/knowledge', 'knowledge'],
  ['/reports', 'reports'],
  ['/training', 'training'],
];

export function areaOf(path: string): Area {
  if (path === '/' || path === '') return 'home';
  for (const [prefix, area] of PREFIXES) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return area;
  }
  return 'none';
}

function Fallback() {
  return (
    <div className="page">
      <Loading />
    </div>
  );
}

/** Staff pages: wait for the session, send others to sign in, then render inside the shell. */
function Staff({ children }: { children: ReactNode }) {
  const { state, reload } = useSession();
  const [location] = useLocation();
  const search = useSearch();
  const next = encodeURIComponent(location + (search ? `?${search}` : ''));
  useEffect(() => {
    if (state.status === 'idle') void reload();
  }, [state.status, reload]);
  if (state.status === 'idle' || state.status === 'loading') return <Fallback />;
  if (state.status === 'error') {
    return (
      <div className="page">
        <ErrorNotice error={state.error} onRetry={() => void reload()} />
      </div>
    );
  }
  if (state.status === 'anonymous') return <Redirect to={`/signin?next=${next}`} replace />;
  if (state.status === 'needs-factor') return <Redirect to={`/signin/factor?next=${next}`} replace />;
  return (
    <Layout>
      <Suspense fallback={<Fallback />}>
        <AttestationGate>{children}</AttestationGate>
        <StepUpHost />
        <DeviceBinder />
      </Suspense>
    </Layout>
  );
}

export function App() {
  const [location] = useLocation();
  const area = areaOf(location);

  useEffect(() => {
    if (area === 'none') document.title = `${t('app.notFound.title')} · Trustdesk`;
  }, [area]);

  switch (area) {
    case 'home':
      return <Staff><Landing /></Staff>;
    case 'auth':
      return (
        <Suspense fallback={<Fallback />}>
          <AuthArea />
        </Suspense>
      );
    case 'portal':
      return (
        <Suspense fallback={<Fallback />}>
          <PortalArea />
        </Suspense>
      );
    case 'agent':
      return <Staff><AgentArea /></Staff>;
    case 'account':
      return <Staff><AccountArea /></Staff>;
    case 'admin':
      return <Staff><AdminArea /></Staff>;
    case 'security':
      return <Staff><SecurityArea /></Staff>;
    case 'knowledge':
      return <Staff><KnowledgeArea /></Staff>;
    case 'reports':
      return <Staff><ReportsArea /></Staff>;
    case 'training':
      return <Staff><TrainingArea /></Staff>;
    default:
      return <Staff><NotFound /></Staff>;
  }
}
