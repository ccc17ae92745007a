/**
 * Where to go after signing in, and tokens from emailed or printed links.
 * `next` is honoured only for a same-origin path ('/x', never '//host' or
 * '/\host', which browsers treat as another origin), so a crafted sign-in link
 * cannot send someone elsewhere after they sign in.
 */
import { useEffect, useState } from 'react';

export const HOME = '/tickets';

export function safeNext(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return HOME;
  if (/[\u0000-\u001f\\]/.test(raw)) return HOME;
  try {
    const url = new URL(raw, window.location.origin);
    if (url.origin !== window.location.origin) return HOME;
    if (url.pathname === '/signin' || url.pathname.startsWith('/signin/')) return HOME;
    return url.pathname + url.search + url.hash;
  } catch {
    return HOME;
  }
}

/** The `next` parameter of the current address, made safe. */
export function nextFromSearch(search: string): string {
  return safeNext(new URLSearchParams(search).get('next'));
}

/**
 * Reads `token=` from the address's #fragment once and removes it from the
 * address bar and history, so it is neither bookmarked nor shown on screen.
 */
let taken: { path: string; token: string | null } | null = null;

export function takeHashToken(): string | null {
  const path = window.location.pathname;
  const hash = window.location.hash.replace(/^#/, '');
  // A second read on the same page (React may run initialisers twice) gets the token already taken.
  if (!hash) return taken?.path === path ? taken.token : null;
  const raw = new URLSearchParams(hash).get('token');
  window.history.replaceState(window.history.state, '', path + window.location.search);
  taken = { path, token: raw && raw.length <= 200 ? raw : null };
  return taken.token;
}

/**
 * The link token of this page, also when the link is opened while the page is
 * already showing (only the #hash changes, so nothing reloads).
 */
export function useHashToken(): string | null {
  const [token, setToken] = useState<string | null>(() => takeHashToken());
  useEffect(() => {
    const onHashChange = () => {
      const fresh = takeHashToken();
      if (fresh) setToken(fresh);
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);
  return token;
}
