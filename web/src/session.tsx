/**
 * The signed-in staff member, from /api/auth/me: who they are, whether their
 * second factor is verified, the CSRF token for writes, and their abilities.
 * Abilities only hide things; the server decides every request.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Static } from 'typebox';
import { authEndpoints, type Me as MeSchema } from '../../src/platform/http/schemas/auth.js';
import { ApiError, call, onSessionLost, setCsrfToken } from './api.js';

export type Me = Static<typeof MeSchema>;

export type SessionState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'needs-factor'; me: Me }
  | { status: 'signed-in'; me: Me }
  | { status: 'error'; error: unknown };

interface SessionContextValue {
  state: SessionState;
  reload: () => Promise<void>;
}

const onPortal = () => window.location.pathname === '/portal' || window.location.pathname.startsWith('/portal/');

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  // The portal has its own session, so portal pages do not look up a staff one (the shell does if it needs it).
  const [state, setState] = useState<SessionState>(() => (onPortal() ? { status: 'idle' } : { status: 'loading' }));

  const reload = useCallback(async () => {
    setState((current) => (current.status === 'idle' ? { status: 'loading' } : current));
    try {
      // The probe answers 200 either way, so a signed-out page logs no failed request.
      const probe = await call(authEndpoints.session);
      const me = probe.me;
      if (!probe.signedIn || !me) {
        setCsrfToken(null);
        setState({ status: 'anonymous' });
        return;
      }
      setCsrfToken(me.csrfToken);
      setState(me.mfa.verified ? { status: 'signed-in', me } : { status: 'needs-factor', me });
    } catch (error) {
      setCsrfToken(null);
      if (error instanceof ApiError && error.status === 401) setState({ status: 'anonymous' });
      else setState({ status: 'error', error });
    }
  }, []);

  useEffect(() => {
    if (!onPortal()) void reload();
  }, [reload]);

  useEffect(
    // A staff request found the session gone: look it up again (the shell then sends the member to sign in).
    () => onSessionLost((_error, url) => {
      if (!url.startsWith('/api/portal/')) void reload();
    }),
    [reload],
  );

  const value = useMemo(() => ({ state, reload }), [state, reload]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in member; only for components under the staff shell. */
export function useMe(): { me: Me; can: (permission: string) => boolean; reload: () => Promise<void> } {
  const { state, reload } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe outside a signed-in staff page');
  const me = state.me;
  return { me, can: (permission) => me.abilities[permission] === true, reload };
}
