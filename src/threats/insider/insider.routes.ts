/**
 * Insider-threat detection (decision 0194):
 *   /api/insider/alerts                    list and read (insider.read, audited); acknowledge, dismiss (insider.manage)
 *   /api/insider/suppressions              list (insider.read); add with a reason and expiry, remove (insider.manage)
 *   /api/insider/thresholds                read (insider.read); change (insider.manage; malformed → problem+json per field)
 *   /api/insider/people/:userId/deactivation  a leaver's scheduled deactivation (insider.manage)
 * The evaluator (runner.ts) runs every second beside the audit sequencer (the server): one instance at a time.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { insiderEndpoints as e } from '../../platform/http/schemas/insider.js';
import { createSuppression, listAlerts, listSuppressions, readAlert, readThresholds, removeSuppression, scheduleDeactivation, setAlertStatus, updateThresholds, type Acting, type InsiderDeps } from './insider.service.js';
import { InsiderRunner } from './runner.js';

const tags = ['insider'];

function acting(request: FastifyRequest): Acting {
  const client = clientOf(request);
  return { principal: requirePrincipal(request), requestId: client.requestId, sourceIp: client.ip };
}

export function createInsiderRoutes(options: { intervalMs?: number; onRunner?: (runner: InsiderRunner) => void } = {}) {
  return async function insiderRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const { database, audit } = app.services;
    const runner = new InsiderRunner({ db: database.db, audit, logger: app.services.logger });
    options.onRunner?.(runner);
    // Every second where the audit sequencer runs in the background (the server); tests drive it themselves.
    const every = options.intervalMs ?? (audit.runsInBackground ? 1000 : 0);
    if (every > 0) {
      runner.start(every);
      app.addHook('onClose', async () => runner.stop());
    }
    const deps: InsiderDeps = { db: database.db, audit, onContextChange: (orgId) => runner.invalidate(orgId) };
    const read = requirePermission('insider.read');
    const manage = requirePermission('insider.manage');

    r.get(e.alerts.url, { preHandler: read, schema: routeSchema(e.alerts, { tags, summary: 'Insider-threat alerts, newest first, with explanation and evidence (audited)' }) }, async (request) => listAlerts(deps, acting(request), request.query));
    r.get(e.alert.url, { preHandler: read, schema: routeSchema(e.alert, { tags, summary: 'One alert (audited)' }) }, async (request) => readAlert(deps, acting(request), request.params.id));
    r.post(e.acknowledge.url, { preHandler: manage, schema: routeSchema(e.acknowledge, { tags, summary: 'Acknowledge an alert: someone is looking into it (audited)' }) }, async (request) =>
      setAlertStatus(deps, acting(request), request.params.id, 'acknowledged', request.body.note?.trim() || null),
    );
    r.post(e.dismiss.url, { preHandler: manage, schema: routeSchema(e.dismiss, { tags, summary: 'Dismiss an alert with the reason (audited)' }) }, async (request) =>
      setAlertStatus(deps, acting(request), request.params.id, 'dismissed', request.body.reason.trim()),
    );
    r.get(e.suppressions.url, { preHandler: read, schema: routeSchema(e.suppressions, { tags, summary: 'Suppressions in force' }) }, async (request) => listSuppressions(deps, requirePrincipal(request).orgId));
    r.post(e.suppress.url, { preHandler: manage, schema: routeSchema(e.suppress, { tags, summary: 'Quiet one rule for one person until a date, with the reason (audited)' }) }, async (request, reply) =>
      reply.code(201).send(await createSuppression(deps, acting(request), request.body)),
    );
    r.delete(e.unsuppress.url, { preHandler: manage, schema: routeSchema(e.unsuppress, { tags, summary: 'End a suppression (audited)' }) }, async (request) => {
      await removeSuppression(deps, acting(request), request.params.id);
      return { ok: true as const };
    });
    r.get(e.thresholds.url, { preHandler: read, schema: routeSchema(e.thresholds, { tags, summary: 'The organisation’s thresholds, the defaults and the rules' }) }, async (request) => readThresholds(deps, requirePrincipal(request).orgId));
    r.put(e.setThresholds.url, { preHandler: manage, schema: routeSchema(e.setThresholds, { tags, summary: 'Change thresholds: merged over the current ones, refused whole when any value is wrong (audited)' }) }, async (request) =>
      updateThresholds(deps, acting(request), request.body),
    );
    r.put(e.scheduleDeactivation.url, { preHandler: manage, schema: routeSchema(e.scheduleDeactivation, { tags, summary: 'Set or clear a person’s scheduled deactivation (audited)' }) }, async (request) =>
      scheduleDeactivation(deps, acting(request), request.params.userId, request.body.at),
    );
  };
}

export const insiderRoutes = createInsiderRoutes();
