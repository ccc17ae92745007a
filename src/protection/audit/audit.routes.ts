/**
 * /api/audit: the audit trail for the security centre, under `audit.read`
 * (auditors and security officers). Entries of the caller's organisation only;
 * every read, proof, checkpoint look-up and verification is itself audited.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { requirePrincipal } from '../../identity/auth/auth.routes.js';
import { auditEndpoints as e } from '../../platform/http/schemas/audit.js';
import { problemResponses } from '../../platform/http/schemas/common.js';
import { checkpointConsistency, entryProof, listEntries, readCheckpoint, verifyTrail, type AuditTrailDeps, type ReadContext } from './audit-trail.service.js';

export function createAuditRoutes(options: { verifyTimeLimitMs?: number } = {}) {
  return async function auditRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['audit'];
    const deps = (): AuditTrailDeps => ({ database: app.services.database, audit: app.services.audit });
    const ctx = (request: FastifyRequest): ReadContext => ({ principal: requirePrincipal(request), requestId: String(request.id), sourceIp: request.ip });

    r.get('/api/audit/entries', {
      preHandler: requirePermission('audit.read'),
      schema: { tags, summary: 'The organisation’s audit entries, newest first, filtered by actor, customer, action and time (the read is audited)', querystring: e.entries.querystring, response: { 200: e.entries.response, ...problemResponses } },
    }, async (request) => listEntries(deps(), ctx(request), request.query));

    r.get('/api/audit/entries/:index/proof', {
      preHandler: requirePermission('audit.read'),
      schema: { tags, summary: 'An entry’s RFC 6962 inclusion proof against the latest signed checkpoint', params: e.proof.params, response: { 200: e.proof.response, ...problemResponses } },
    }, async (request) => entryProof(deps(), ctx(request), request.params.index));

    r.get('/api/audit/checkpoint', {
      preHandler: requirePermission('audit.read'),
      schema: { tags, summary: 'The latest signed checkpoint (C2SP note), its tree size and root, and the verifier key', response: { 200: e.checkpoint.response, ...problemResponses } },
    }, async (request) => readCheckpoint(deps(), ctx(request)));

    r.get('/api/audit/consistency', {
      preHandler: requirePermission('audit.read'),
      schema: { tags, summary: 'An RFC 6962 consistency proof from an older tree size to the latest signed checkpoint (audited); 400 when the log is now smaller', querystring: e.consistency.querystring, response: { 200: e.consistency.response, ...problemResponses } },
    }, async (request) => checkpointConsistency(deps(), ctx(request), request.query.from));

    r.post('/api/audit/verify', {
      // Verifying recomputes and changes nothing: the auditor's own work.
      config: { readOnly: true },
      preHandler: requirePermission('audit.read'),
      schema: { tags, summary: 'Check the whole log: every entry’s MAC, the tree and every checkpoint signature; names the first bad index (time-bounded, audited)', response: { 200: e.verify.response, ...problemResponses } },
    }, async (request) => verifyTrail(deps(), ctx(request), options.verifyTimeLimitMs ? { timeLimitMs: options.verifyTimeLimitMs } : {}));
  };
}

export const auditRoutes = createAuditRoutes();
