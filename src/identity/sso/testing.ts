/**
 * Test factory: a real OpenID provider (oidc-provider, a development dependency) on a random loopback port, with a
 * confidential client `trustdesk` for the given redirect URI. Who signs in next, and the amr/acr it asserts, is
 * set with `login`; there is no login page (the interaction finishes at once).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const TEST_CLIENT_SECRET = 'provider-client-secret-do-not-leak-7c1f';

export interface TestProvider {
  issuer: string;
  accounts: Map<string, { email: string; emailVerified: boolean }>;
  login(next: { accountId: string; amr?: string[]; acr?: string }): void;
  close(): void;
}

/** `jwks`: the provider's signing keys (a test that forges tokens with them passes its own); `clients`: more clients. */
export async function startTestProvider(redirectUri: string, options: { jwks?: { keys: object[] }; clients?: object[] } = {}): Promise<TestProvider> {
  const accounts = new Map<string, { email: string; emailVerified: boolean }>();
  let next: { accountId: string; amr?: string[]; acr?: string } = { accountId: '' };
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => s.end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'trustdesk', client_secret: TEST_CLIENT_SECRET, redirect_uris: [redirectUri], response_types: ['code'], grant_types: ['authorization_code'] }, ...(options.clients ?? [])],
    ...(options.jwks ? { jwks: options.jwks } : {}),
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    pkce: { required: () => true },
    async findAccount(_ctx: unknown, id: string) {
      const a = accounts.get(id);
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: a.emailVerified, name: id }) };
    },
  });
  const callback = provider.callback();
  handler = (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: next.accountId, ...(next.amr ? { amr: next.amr } : {}), ...(next.acr ? { acr: next.acr } : {}) } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: details.session?.accountId as string, clientId: details.params.client_id as string });
      grant.addOIDCScope(String(details.params.scope));
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    })().catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  };
  return { issuer, accounts, login: (n) => (next = n), close: () => void server.close() };
}
