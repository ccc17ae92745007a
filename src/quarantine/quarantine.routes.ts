/** /api/quarantine: held messages for security officers — list, read (audited), release, delete. */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { LocalBlobStore, type BlobStore } from '../blobs/store.js';
import { listQuarantine } from '../ingest/quarantine.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { deleteQuarantined, readQuarantined, releaseQuarantined } from './quarantine.service.js';

const Status = Type.Union([Type.Literal('held'), Type.Literal('released'), Type.Literal('deleted')]);
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Decision = Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });
const NullableString = Type.Union([Type.String(), Type.Null()]);
const Item = Type.Object({
  id: Type.String(), mailboxId: NullableString, reason: Type.String(), codes: Type.Array(Type.String()), threatScore: Type.Union([Type.Integer(), Type.Null()]),
  rawSize: Type.Integer(), status: Type.String(), createdAt: Type.String(),
});

export function createQuarantineRoutes(options: { blobs?: BlobStore } = {}) {
  return async function quarantineRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['quarantine'];
    // Built once: it unwraps the mail keys, which no request should repeat.
    const d = await createHelpdeskDeps(app.services);
    const blobs = options.blobs ?? new LocalBlobStore(app.services.config.blobDirPath);

    r.get('/api/quarantine', {
      preHandler: requirePermission('quarantine.read'),
      schema: { tags, summary: 'Quarantined messages (metadata only)', querystring: Type.Object({ status: Type.Optional(Status), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }), response: { 200: Type.Object({ items: Type.Array(Item) }) } },
    }, async (request) => {
      const p = requirePrincipal(request);
      return { items: await listQuarantine(d, { orgId: p.orgId, ...(request.query.status ? { status: request.query.status } : {}), ...(request.query.limit ? { limit: request.query.limit } : {}) }) };
    });

    r.get('/api/quarantine/:id', {
      preHandler: requirePermission('quarantine.read'),
      schema: {
        tags, summary: 'A quarantined message with its reasons and source (the read is audited)', params: IdParams,
        response: {
          200: Type.Object({
            id: Type.String(), reason: Type.String(), codes: Type.Array(Type.String()), threatScore: Type.Union([Type.Integer(), Type.Null()]), status: Type.String(),
            createdAt: Type.String(), decidedAt: NullableString, reasons: Type.Array(Type.Object({ code: Type.String(), weight: Type.Number(), evidence: Type.String() })),
            source: Type.String(), truncated: Type.Boolean(),
          }),
        },
      },
    }, async (request) => readQuarantined(d, requirePrincipal(request), clientOf(request), request.params.id));

    r.post('/api/quarantine/:id/release', {
      preHandler: requirePermission('quarantine.release'),
      schema: { tags, summary: 'Release into the helpdesk (audited, with a reason)', params: IdParams, body: Decision, response: { 200: Type.Object({ outcome: Type.String(), ticketId: Type.Optional(Type.String()) }) } },
    }, async (request) => {
      const outcome = await releaseQuarantined(d, { blobs, maxAttachmentBytes: app.services.config.smtpMaxBytes }, requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason });
      return { outcome: outcome.outcome, ...('ticketId' in outcome ? { ticketId: outcome.ticketId } : {}) };
    });

    r.post('/api/quarantine/:id/delete', {
      preHandler: requirePermission('quarantine.release'),
      schema: { tags, summary: 'Delete (the source is overwritten; the decision stays in the audit trail)', params: IdParams, body: Decision, response: { 200: Type.Object({ ok: Type.Literal(true) }) } },
    }, async (request) => {
      await deleteQuarantined(d, requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason });
      return { ok: true as const };
    });
  };
}

export const quarantineRoutes = createQuarantineRoutes();
