/**
 * Where the frame runs and whom it talks to. The page that embeds it is named
 * by `host` in the frame's address (the loader puts its own origin there); the
 * server's CSP frame-ancestors already limits embedding to the organisation's
 * allowed origins. The frame talks to its parent only at that origin: messages
 * it posts go to `host` alone, and messages it accepts must come from `host`
 * and from the parent window. Where the browser says who the parent really is
 * (location.ancestorOrigins) or the referrer does, a `host` that disagrees is
 * refused. Inside the portal (`portal=1`) the host is Trustdesk itself.
 */

export interface FrameParams {
  orgId: string;
  host: string;
  portal: boolean;
}

const ORG = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An origin exactly as `URL.origin` writes it (scheme, host, port), http or https only; otherwise null. */
export function originOf(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    return url.origin;
  } catch {
    return null;
  }
}

/**
 * The frame's parameters, or null when they are missing or contradicted. `parentOrigin` is what the browser
 * reports about the embedding page (ancestorOrigins, else the referrer's origin), null when it says nothing.
 */
export function readFrameParams(search: string, ownOrigin: string, parentOrigin: string | null): FrameParams | null {
  const q = new URLSearchParams(search);
  const orgId = q.get('org') ?? '';
  if (!ORG.test(orgId)) return null;
  const portal = q.get('portal') === '1';
  const given = q.get('host');
  const host = portal ? ownOrigin : originOf(given);
  if (!host || (given !== null && originOf(given) !== host)) return null;
  if (parentOrigin !== null && parentOrigin !== host) return null;
  return { orgId, host, portal };
}

/** The little of `window` this module reads (structural, so its tests need no DOM). */
export interface FrameWindow {
  parent: unknown;
  location: { ancestorOrigins?: ArrayLike<string> };
  document: { referrer: string };
}

/** What the browser says about the embedding page's origin, or null when the frame is not embedded or it says nothing. */
export function parentOriginOf(win: FrameWindow): string | null {
  if (win.parent === win) return null;
  const ancestors = win.location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) return originOf(ancestors[0]);
  return originOf(win.document.referrer);
}

export type HostMessage = { type: 'identity'; token: string } | { type: 'open' };

/** A message from the embedding page, if it is one the frame accepts from `host`. */
export function readHostMessage(event: { origin: string; source: unknown; data: unknown }, host: string, parent: unknown): HostMessage | null {
  if (event.origin !== host || event.source !== parent) return null;
  const data = event.data as { type?: unknown; token?: unknown } | null;
  if (typeof data !== 'object' || data === null) return null;
  if (data.type === 'trustdesk-identity' && typeof data.token === 'string' && data.token.length > 0 && data.token.length <= 8192) return { type: 'identity', token: data.token };
  if (data.type === 'trustdesk-open') return { type: 'open' };
  return null;
}

/** Tells the embedding page something (ready for identity, or close the panel), at `host` only. */
export function postToHost(win: { parent: unknown }, host: string, type: 'trustdesk-ready' | 'trustdesk-close'): void {
  if (win.parent !== win) (win.parent as { postMessage(message: unknown, targetOrigin: string): void }).postMessage({ type }, host);
}
