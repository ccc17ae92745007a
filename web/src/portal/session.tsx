/**
 * The portal's own session: the customer from GET /api/portal/me and the
 * organisation the portal belongs to. Portal writes carry X-Portal-CSRF, never
 * the staff header: `portalCall` sets the portal token on the shared client
 * right before each request (the header is read synchronously when the request
 * starts), so the staff session provider clearing its own token cannot strip it.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Static } from 'typebox';
import type { Endpoint, ResponseOf } from '../../../src/platform/http/schemas/common.js';
import { PORTAL_CSRF_HEADER, portalEndpoints, type PortalMe as PortalMeSchema, type PortalOrganization } from '../../../src/platform/http/schemas/portal.js';
import { ApiError, call, onSessionLost, setCsrfToken, type CallInput, type RequestOptions } from '../api.js';

export type PortalMe = Static<typeof PortalMeSchema>;
export type Organization = Static<typeof PortalOrganization>;

let portalCsrf: string | null = null;
/** Set by the provider: a 401 while signed in means the session ended (idle or absolute expiry, sign-out elsewhere). */
let sessionEnded: (() => void) | null = null;

/** Calls a portal endpoint with the portal's CSRF header. */
export async function portalCall<E extends Endpoint>(endpoint: E, input: CallInput<E> = {}, options: RequestOptions = {}): Promise<ResponseOf<E>> {
  setCsrfToken(portalCsrf, PORTAL_CSRF_HEADER);
  try {
    return await call(endpoint, input, options);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unauthenticated' && portalCsrf !== null) sessionEnded?.();
    throw error;
  }
}

/** Keeps the CSRF token a sign-in answer carries, before the session is reloaded. */
export function setPortalCsrf(token: string | null): void {
  portalCsrf = token;
}

export type PortalState =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'signed-in'; me: PortalMe }
  | { status: 'error'; error: unknown };

interface PortalContextValue {
  state: PortalState;
  org: Organization | null;
  orgError: unknown;
  reload: () => Promise<void>;
  signOut: () => Promise<void>;
}

const PortalContext = createContext<PortalContextValue | null>(null);

/** `?org=<id>` on any portal address names the organisation when an installation has several. */
function orgFromAddress(): string | undefined {
  const value = new URLSearchParams(window.location.search).get('org');
  return value && /^[0-9a-f-]{36}$/i.test(value) ? value : undefined;
}

export function PortalProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<PortalState>({ status: 'loading' });
  const [org, setOrg] = useState<Organization | null>(null);
  const [orgError, setOrgError] = useState<unknown>(null);
  const [askedOrg] = useState(orgFromAddress);

  const reload = useCallback(async () => {
    try {
      const me = await portalCall(portalEndpoints.me);
      setPortalCsrf(me.csrfToken);
      setOrg({ id: me.organizationId, name: me.organizationName });
      setState({ status: 'signed-in', me });
    } catch (error) {
      setPortalCsrf(null);
      if (error instanceof ApiError && error.status === 401) setState({ status: 'anonymous' });
      else setState({ status: 'error', error });
    }
  }, []);

  useEffect(() => {
    void reload();
    sessionEnded = () => void reload();
    return () => {
      sessionEnded = null;
    };
  }, [reload]);

  // A portal 401 means "no portal session", which this provider handles itself; it must not
  // send the staff session provider into reloading /api/auth/me (whose own 401 would loop).
  useEffect(() => onSessionLost(() => undefined), []);

  useEffect(() => {
    if (state.status !== 'anonymous' || org) return;
    let cancelled = false;
    portalCall(portalEndpoints.organization, { query: askedOrg ? { organizationId: askedOrg } : {} }).then(
      (found) => {
        if (!cancelled) setOrg(found);
      },
      (error: unknown) => {
        if (!cancelled) setOrgError(error);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [state.status, org, askedOrg]);

  const signOut = useCallback(async () => {
    await portalCall(portalEndpoints.signOut).catch(() => undefined);
    setPortalCsrf(null);
    setState({ status: 'anonymous' });
  }, []);

  const value = useMemo(() => ({ state, org, orgError, reload, signOut }), [state, org, orgError, reload, signOut]);
  return <PortalContext.Provider value={value}>{children}</PortalContext.Provider>;
}

export function usePortal(): PortalContextValue {
  const value = useContext(PortalContext);
  if (!value) throw new Error('usePortal outside PortalProvider');
  return value;
}

/** The signed-in customer; only under <RequireCustomer>. */
export function usePortalMe(): PortalMe {
  const { state } = usePortal();
  if (state.status !== 'signed-in') throw new Error('usePortalMe without a portal session');
  return state.me;
}

/** "2.5 MB" for upload limits and file sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 102.4) / 10} KB`;
  return `${Math.round(bytes / 104_857.6) / 10} MB`;
}
