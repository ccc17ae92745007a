/**
 * Test helpers for the portal, secure messages and verification: an app with
 * their routes on a memory blob store, a customer with a ticket, and a
 * signed-in portal session obtained through the real code flow.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../platform/app/services.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createCustomer } from '../customers/customers.service.js';
import { buildApp } from '../../platform/http/app.js';
import { testSchemaCache } from '../../platform/app/testing.js';
import { appRoutes } from '../../platform/http/routes.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { createSecureMessageRoutes, secureMessageRoutes } from '../secure-messages/secure-messages.routes.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { insertMessage, insertTicket } from '../tickets/records.js';
import { createVerificationRoutes, verificationRoutes } from '../verification/verification.routes.js';
import type { PortalPolicy } from './deps.js';
import { createPortalRoutes, portalRoutes } from './portal.routes.js';
import { PORTAL_COOKIE, PORTAL_CSRF_HEADER } from './sessions.js';

export async function buildPortalApp(services: Services, options: { policy?: Partial<PortalPolicy>; extraRoutes?: Array<(app: FastifyInstance) => Promise<void>> } = {}): Promise<{ app: FastifyInstance; blobs: MemoryBlobStore }> {
  const blobs = new MemoryBlobStore();
  const o = { blobs, policy: { minFillMs: 50, ...options.policy } };
  // The shipped instances (local blob store) are swapped for ones on the memory store.
  const shipped = new Set<unknown>([portalRoutes, secureMessageRoutes, verificationRoutes]);
  const routes = [...appRoutes.filter((r) => !shipped.has(r)), createPortalRoutes(o), createSecureMessageRoutes(o), createVerificationRoutes(o), ...(options.extraRoutes ?? [])];
  const app = await buildApp({ services, routes, schemaCache: testSchemaCache });
  return { app, blobs };
}

export async function buildCustomerWithTicket(services: Services, input: { orgId: string; email: string; name?: string; teamId?: string | null; subject?: string; body?: string; note?: string; channel?: 'email' | 'web' }) {
  const deps = await createHelpdeskDeps(services);
  const { id: customerId } = await createCustomer(deps, { orgId: input.orgId, actor: { type: 'system' } }, { name: input.name ?? 'Test Customer', email: input.email });
  const ticket = await deps.db.transaction().execute(async (trx) => {
    const t = await insertTicket(trx, deps, { orgId: input.orgId, subject: input.subject ?? 'A question', channel: input.channel ?? 'email', requesterId: customerId, teamId: input.teamId ?? null });
    await insertMessage(trx, deps, { orgId: input.orgId, ticketId: t.id, kind: 'inbound_email', authorType: 'customer', customerId, body: input.body ?? 'Hello, I need help.' });
    if (input.note) await insertMessage(trx, deps, { orgId: input.orgId, ticketId: t.id, kind: 'internal_note', authorType: 'user', customerId, body: input.note });
    return t;
  });
  return { customerId, ticketId: ticket.id, ticketNumber: ticket.number };
}

export function lastCode(mailer: MemoryMailer, to: string): string {
  const m = mailer.last(to);
  const code = m ? /\b(\d{6})\b/.exec(m.text)?.[1] : undefined;
  if (!code) throw new Error(`no code mailed to ${to}`);
  return code;
}

export interface PortalSignedIn {
  headers: { cookie: string; [PORTAL_CSRF_HEADER]: string };
}

let ipCounter = 1;
/** A fresh source address per call, so per-route rate limits do not couple tests. */
export function nextIp(): string {
  ipCounter++;
  return `10.9.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

export function sessionFrom(res: { cookies: Array<{ name: string; value: string }>; json(): unknown }): PortalSignedIn {
  const cookie = res.cookies.find((c) => c.name === PORTAL_COOKIE);
  if (!cookie) throw new Error('no portal cookie');
  return { headers: { cookie: `${PORTAL_COOKIE}=${cookie.value}`, [PORTAL_CSRF_HEADER]: (res.json() as { csrfToken: string }).csrfToken } };
}

export async function portalSignIn(app: FastifyInstance, input: { orgId: string; email: string }): Promise<PortalSignedIn> {
  const remoteAddress = nextIp();
  const start = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress, payload: { organizationId: input.orgId, email: input.email } });
  if (start.statusCode !== 202) throw new Error(`signin start ${start.statusCode} ${start.body}`);
  await app.services.deferred.drain(); // the code is mailed after the answer
  const code = lastCode(app.services.mailer as MemoryMailer, input.email);
  const done = await app.inject({ method: 'POST', url: '/api/portal/signin/code', remoteAddress, payload: { challengeId: start.json().challengeId, code } });
  if (done.statusCode !== 200) throw new Error(`signin code ${done.statusCode} ${done.body}`);
  return sessionFrom(done);
}
