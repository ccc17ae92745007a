/**
 * /api/privacy: data-subject requests (decision 0198). The queue, a request and its certificate need
 * privacy.read; recording one needs privacy.manage, or customers.verify with a verification of the customer (an
 * agent, for a customer of a ticket they may see); verifying, approving and rejecting need privacy.manage, and
 * approving an erasure also customers.erase with a fresh second factor (an API token cannot approve an erasure).
 * The organisation's second-approver setting needs policies.manage to change.
 */
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireFreshFactor, requirePermission, scopeOf } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { LocalBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { AppError } from '../../platform/errors.js';
import { Binary, sendDownload } from '../../platform/http/download.js';
import { ProblemRef, problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { portalPrivacyEndpoints as pe, privacyEndpoints as e } from '../../platform/http/schemas/privacy.js';
import { createPortalDeps } from '../portal/deps.js';
import { authenticatePortal, clientOf as portalClientOf, requirePortalSessionFirst } from '../portal/sessions.js';
import { requireCustomerSecondFactor } from '../portal/mfa-policy.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import type { ErasureOptions } from './erasure.js';
import { checkExportLink, downloadExport, openExportLink, sendExportLink } from './export.js';
import {
  approvePrivacyRequest,
  createPortalPrivacyRequest,
  createPrivacyRequest,
  listPortalPrivacyRequests,
  listPrivacyRequests,
  readCertificate,
  readPrivacyRequest,
  readPrivacySettings,
  rejectPrivacyRequest,
  savePrivacySettings,
  verifyPrivacyRequest,
} from './requests.service.js';

const doc = (summary: string) => ({ tags: ['privacy'], summary });

/** privacy.manage, or customers.verify (an agent records a request after verifying the customer). */
async function mayRecord(request: FastifyRequest): Promise<void> {
  const p = requirePrincipal(request);
  if (!scopeOf(p, 'privacy.manage') && !scopeOf(p, 'customers.verify')) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing privacy.manage / customers.verify' });
}

export function createPrivacyRoutes(options: { blobs?: BlobStore; afterStep?: ErasureOptions['afterStep'] } = {}) {
  return async function privacyRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createHelpdeskDeps(app.services);
    const config = app.services.config;
    const blobs = options.blobs ?? new LocalBlobStore(config.blobDirPath);
    const portalDeps = await createPortalDeps(app.services, { blobs });
    const erasure = (orgId: string): ErasureOptions => ({
      blobs,
      ...(config.relayUrl ? {} : { outbox: { dir: path.join(config.dataDirPath, 'outbox'), key: app.services.outboxKey } }),
      onKeysDestroyed: (keyIds) => {
        if (keyIds.length) app.bus.publish({ k: 'keys-destroyed', orgId, keyIds });
      },
      ...(options.afterStep ? { afterStep: options.afterStep } : {}),
    });

    r.get(e.list.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.list, doc('Data-subject requests, soonest due first (ids and dates only, no customer data)')) }, async (request) => {
      const q = request.query;
      return { items: await listPrivacyRequests(deps, requirePrincipal(request), { ...(q.status ? { status: q.status } : {}), ...(q.limit ? { limit: q.limit } : {}) }) };
    });

    r.post(e.create.url, { preHandler: mayRecord, schema: routeSchema(e.create, doc('Record a request for a customer (an agent: after verifying them); due one month after receipt')) }, async (request) =>
      createPrivacyRequest(deps, requirePrincipal(request), clientOf(request), request.body),
    );

    r.get(e.read.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.read, doc('One request')) }, async (request) => readPrivacyRequest(deps, requirePrincipal(request), request.params.id));

    r.post(e.verify.url, { preHandler: requirePermission('privacy.manage'), schema: routeSchema(e.verify, doc('Record how the customer’s identity was checked (a verification that succeeded, or a staff check with a reason)')) }, async (request) =>
      verifyPrivacyRequest(deps, requirePrincipal(request), clientOf(request), { id: request.params.id, verificationId: request.body.verificationId, reason: request.body.reason }),
    );

    r.post(e.approve.url, { preHandler: requirePermission('privacy.manage'), schema: routeSchema(e.approve, doc('Approve; an erasure is carried out at once (customers.erase and a fresh second factor) and its certificate kept')) }, async (request) => {
      const p = requirePrincipal(request);
      const current = await readPrivacyRequest(deps, p, request.params.id);
      if (current.kind === 'erasure' && current.status === 'verified') {
        if (scopeOf(p, 'customers.erase') !== 'org') throw new AppError('forbidden', 'Approving an erasure needs the customers.erase permission.');
        requireFreshFactor(p, app.auth?.stepUpWindowMs);
      }
      // An access request's export link goes to the customer after the commit (never to the approver).
      return approvePrivacyRequest(deps, p, clientOf(request), { id: request.params.id }, { ...erasure(p.orgId), deliverExport: (link) => sendExportLink(portalDeps, link) });
    });

    r.post(e.reject.url, { preHandler: requirePermission('privacy.manage'), schema: routeSchema(e.reject, doc('Reject with a reason (kept on the request and in the audit trail)')) }, async (request) =>
      rejectPrivacyRequest(deps, requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason }),
    );

    r.get(e.certificate.url, {
      preHandler: requirePermission('privacy.read'),
      schema: { tags: ['privacy'], summary: 'The certificate of erasure as JSON or text (the download is audited)', params: e.certificate.params, querystring: e.certificate.querystring, response: { 200: Binary, ...problemResponses } },
    }, async (request, reply) => {
      const file = await readCertificate(deps, requirePrincipal(request), clientOf(request), { id: request.params.id, format: request.query.format ?? 'json' });
      return sendDownload(reply, file);
    });

    r.get(e.settings.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.settings, doc('The organisation’s privacy settings')) }, async (request) => readPrivacySettings(deps.db, requirePrincipal(request).orgId));

    r.put(e.saveSettings.url, { preHandler: requirePermission('policies.manage'), schema: routeSchema(e.saveSettings, doc('Change the privacy settings (audited with before and after)')) }, async (request) =>
      savePrivacySettings(deps, requirePrincipal(request), clientOf(request), request.body),
    );
  };
}

export const privacyRoutes = createPrivacyRoutes();

const portalErrors = { ...problemResponses, 410: ProblemRef, 429: ProblemRef };

/**
 * The customer's side (decision 0205): "Download my data" and "Delete my data" for the signed-in customer (a
 * repeat while one is open answers the open request), and the access export's download from the emailed link:
 * check it, have a code sent, then the code and the link give the zip (each code one download).
 */
export const privacyPortalRoutes = async function privacyPortalRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createPortalDeps(app.services);
  requirePortalSessionFirst(app, deps);
  const tags = ['privacy'];

  r.get(pe.list.url, {
    config: { public: true, portalSession: true },
    schema: { tags, summary: 'My data requests (access, erasure) and where they stand', response: { 200: pe.list.response, ...portalErrors } },
  }, async (request) => ({ items: await listPortalPrivacyRequests(deps, await authenticatePortal(deps, request)) }));

  r.post(pe.create.url, {
    config: { public: true, portalSession: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Ask for my data or for its erasure; while one of that kind is open, that one is answered', body: pe.create.body, response: { 200: pe.create.response, ...portalErrors } },
  }, async (request) => createPortalPrivacyRequest(deps, await authenticatePortal(deps, request), { kind: request.body.kind }));

  r.post(pe.check.url, {
    config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Whether a data-download link can still be used (sends nothing)', body: pe.check.body, response: { 200: pe.check.response, ...portalErrors } },
  }, async (request) => checkExportLink(deps, request.body));

  r.post(pe.open.url, {
    config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Open a data-download link: emails a one-time code to the registered address', body: pe.open.body, response: { 202: pe.open.response, ...portalErrors } },
  }, async (request, reply) => reply.code(202).send(await openExportLink(deps, portalClientOf(request), request.body)));

  r.post(pe.download.url, {
    config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags, summary: 'The code and the link: the data bundle (zip; each code gives one download; audited)', body: pe.download.body, response: { 200: Binary, ...portalErrors } },
  }, async (request, reply) => {
    // The link and the code prove the mailbox; where the organisation requires a customer second factor, the
    // download also needs this customer's portal session with a fresh step-up (decision 0220).
    const file = await downloadExport(deps, portalClientOf(request), request.body, async (customer) => {
      const session = await authenticatePortal(deps, request).catch(() => null);
      const mfaAt = session && session.orgId === customer.orgId && session.customerId === customer.customerId ? session.mfaAt : null;
      await requireCustomerSecondFactor(deps.db, { ...customer, mfaAt }, 'sensitive');
    });
    return sendDownload(reply, { filename: file.filename, bytes: file.bytes, contentType: 'application/zip' });
  });
};
