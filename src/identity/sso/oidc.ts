/**
 * OpenID Connect with openid-client: discovery from the issuer (cached per connection), the authorization URL
 * (code flow, PKCE S256, state, nonce), and the code exchange whose ID token openid-client validates: issuer,
 * audience (our client id), signature (against the provider's published keys), expiry and nonce. Every request
 * to the provider goes through the one outbound wrapper (STYLE.md rule 19). Nothing here reads the database.
 */
import * as client from 'openid-client';
import { OutboundRefusedError, sendOutboundRequest, type OutboundOptions } from '../../platform/http/outbound.js';

export interface OidcConnection {
  id: string;
  /** Changes whenever the connection is saved: the cached discovery is dropped. */
  version: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
}

export interface OidcOptions {
  outbound: OutboundOptions;
  /** Replaces the network for every provider request (tests put a tampering proxy here). */
  fetch?: client.CustomFetch;
  /** Discovery documents and keys are reused this long. */
  cacheMs?: number;
}

/** Why a sign-in at the provider did not give an identity: the audit's reason, never a token or a provider's text. */
export type OidcFailure =
  | 'discovery_failed'
  | 'provider_error'
  | 'state_mismatch'
  | 'nonce_mismatch'
  | 'audience_mismatch'
  | 'issuer_mismatch'
  | 'token_expired'
  | 'signature_invalid'
  | 'code_rejected'
  | 'subject_mismatch'
  | 'invalid_response';

export class OidcError extends Error {
  constructor(readonly reason: OidcFailure, internal: string) {
    super(internal);
  }
}

/** An http:// issuer is accepted only on a loopback host with private outbound allowed (a local provider in development). */
export function issuerAllowed(issuer: string, outbound: OutboundOptions): boolean {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return false;
  }
  if (url.username || url.password || url.search || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && Boolean(outbound.allowPrivate) && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** openid-client's fetch, through the outbound wrapper: private addresses refused, DNS pinned, no redirects, bounded. */
export function outboundFetch(options: OutboundOptions): client.CustomFetch {
  return async (url, init) => {
    const body = init.body === undefined || init.body === null ? undefined : init.body instanceof URLSearchParams ? init.body.toString() : typeof init.body === 'string' ? init.body : Buffer.from(init.body as ArrayBuffer);
    const res = await sendOutboundRequest(
      { url, method: init.method as 'GET' | 'POST', headers: { ...init.headers, 'user-agent': 'Trustdesk-SSO/1' }, ...(body === undefined ? {} : { body }) },
      { ...options, maxRedirects: 0, maxResponseBytes: 512 * 1024, timeoutMs: options.timeoutMs ?? 10_000 },
    ).catch((e: unknown) => {
      // A 3xx is the provider's answer, not ours to follow: openid-client refuses it as an unexpected response.
      if (e instanceof OutboundRefusedError && e.reason === 'redirect_limit') return { status: 502, headers: {}, body: Buffer.alloc(0) };
      throw e;
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    }
    return new Response(res.status === 204 || res.status === 304 ? null : new Uint8Array(res.body), { status: res.status, headers });
  };
}

export class OidcClient {
  private readonly cache = new Map<string, { at: number; config: Promise<client.Configuration> }>();
  private readonly fetch: client.CustomFetch;

  constructor(private readonly options: OidcOptions) {
    this.fetch = options.fetch ?? outboundFetch(options.outbound);
  }

  /** The provider's configuration, discovered from the issuer (`/.well-known/openid-configuration`), cached. */
  async configuration(c: OidcConnection): Promise<client.Configuration> {
    const key = `${c.id}:${c.version}`;
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < (this.options.cacheMs ?? 10 * 60_000)) return cached.config;
    for (const k of this.cache.keys()) if (k.startsWith(`${c.id}:`)) this.cache.delete(k);
    if (!issuerAllowed(c.issuer, this.options.outbound)) throw new OidcError('discovery_failed', 'issuer not allowed');
    const insecure = new URL(c.issuer).protocol === 'http:';
    const config = client
      .discovery(new URL(c.issuer), c.clientId, c.clientSecret ?? undefined, c.clientSecret ? client.ClientSecretBasic(c.clientSecret) : client.None(), {
        [client.customFetch]: this.fetch,
        timeout: 10,
        execute: [...(insecure ? [client.allowInsecureRequests] : []), client.enableNonRepudiationChecks],
      })
      .catch((e: unknown) => {
        this.cache.delete(key);
        throw new OidcError('discovery_failed', describe(e));
      });
    this.cache.set(key, { at: Date.now(), config });
    return config;
  }

  /** Where to send the browser: code flow with PKCE (S256), state and nonce. */
  async authorizationUrl(c: OidcConnection, input: { redirectUri: string; scopes: readonly string[]; state: string; nonce: string; codeVerifier: string; loginHint?: string }): Promise<string> {
    const config = await this.configuration(c);
    const params: Record<string, string> = {
      redirect_uri: input.redirectUri,
      scope: input.scopes.join(' '),
      response_type: 'code',
      state: input.state,
      nonce: input.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(input.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (input.loginHint) params.login_hint = input.loginHint;
    return client.buildAuthorizationUrl(config, params).href;
  }

  /**
   * Exchanges the code and returns the validated ID token's claims, with the email from the ID token or, when the
   * provider keeps it for the UserInfo endpoint, from there (its `sub` must match the ID token's).
   */
  async exchange(c: OidcConnection, input: { callbackUrl: URL; state: string; nonce: string; codeVerifier: string }): Promise<{ claims: Record<string, unknown> }> {
    const config = await this.configuration(c);
    try {
      const tokens = await client.authorizationCodeGrant(config, input.callbackUrl, { expectedState: input.state, expectedNonce: input.nonce, pkceCodeVerifier: input.codeVerifier, idTokenExpected: true });
      const idClaims = tokens.claims();
      if (!idClaims) throw new OidcError('invalid_response', 'no id token');
      const claims: Record<string, unknown> = { ...idClaims };
      if (claims.email === undefined && tokens.access_token) {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims.email = info.email;
        claims.email_verified = info.email_verified;
      }
      return { claims };
    } catch (e) {
      if (e instanceof OidcError) throw e;
      throw new OidcError(classify(e), describe(e));
    }
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${(e as { code?: string }).code ?? ''} ${e.message}`.slice(0, 300);
  return 'unknown error';
}

/** Maps openid-client's errors (a chain of causes: ClientError → oauth4webapi's error → the failed check) to a closed set of reasons. */
export function classify(e: unknown): OidcFailure {
  if (e instanceof client.AuthorizationResponseError) return 'provider_error';
  if (e instanceof client.ResponseBodyError) return e.error === 'invalid_grant' ? 'code_rejected' : 'provider_error';
  const codes = new Set<string>();
  let signature = false;
  let claim: string | undefined;
  let cur: unknown = e;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const c = cur as { code?: unknown; claim?: unknown; parameter?: unknown; attribute?: unknown; cause?: unknown; message?: unknown };
    if (typeof c.code === 'string') codes.add(c.code);
    if (typeof c.message === 'string' && /signature verification failed/i.test(c.message)) signature = true;
    for (const k of [c.claim, c.parameter, c.attribute]) if (claim === undefined && typeof k === 'string') claim = k;
    cur = c.cause;
  }
  if (codes.has('OAUTH_JWT_CLAIM_COMPARISON_FAILED') || codes.has('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') || codes.has('OAUTH_INVALID_RESPONSE')) {
    if (claim === 'aud' || claim === 'azp') return 'audience_mismatch';
    if (claim === 'iss') return 'issuer_mismatch';
    if (claim === 'nonce') return 'nonce_mismatch';
    if (claim === 'state') return 'state_mismatch';
    if (claim === 'sub') return 'subject_mismatch';
  }
  if (codes.has('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')) return 'token_expired';
  if (signature || [...codes].some((c) => /SIGNATURE|KEY_SELECTION|JWKS_NO_MATCHING_KEY/.test(c))) return 'signature_invalid';
  return 'invalid_response';
}
