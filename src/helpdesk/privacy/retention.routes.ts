/**
 * /api/privacy/retention and /api/privacy/holds (decision 0207). Reading the policy, the dry run, runs and holds
 * needs privacy.read (administrators, security officers, auditors); changing the policy needs policies.manage
 * (with its fresh second factor); setting and lifting a hold needs privacy.manage; starting a run deletes data, so
 * it needs privacy.manage, customers.erase across the organisation and a fresh second factor, as approving an
 * erasure does (an API token cannot start one). The run is worked after the answer; its progress is read by id.
 * Setting a schedule (decision 0218) is the same approval given once, so it needs the same.
 */
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requireFreshFactor, requirePermission, scopeOf } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { LocalBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { retentionEndpoints as e } from '../../platform/http/schemas/retention.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import type { ErasureOptions } from './erasure.js';
import { liftLegalHold, listLegalHolds, setLegalHold } from './holds.js';
import { readRetentionPolicy, saveRetentionPolicy } from './retention-policy.js';
import { readRetentionSchedule, saveRetentionSchedule } from './retention-schedule.js';
import { dryRunRetention, listRetentionRuns, processRetentionRun, readRetentionRun, startRetentionRun, type WorkerOptions } from './retention.js';

const doc = (summary: string) => ({ tags: ['privacy'], summary });

export function createRetentionRoutes(options: { blobs?: BlobStore; worker?: Pick<WorkerOptions, 'batchSize' | 'pauseMs'> } = {}) {
  return async function retentionRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createHelpdeskDeps(app.services);
    const config = app.services.config;
    const blobs = options.blobs ?? new LocalBlobStore(config.blobDirPath);
    // On shutdown the worker stops between batches; the lease runs out and the periodic sweep resumes the run.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    const worker: WorkerOptions = {
      batchSize: options.worker?.batchSize ?? 200,
      pauseMs: options.worker?.pauseMs ?? 25,
      stopping: () => closing,
      blobs,
      erasure: (orgId): ErasureOptions => ({
        blobs,
        ...(config.relayUrl ? {} : { outbox: { dir: path.join(config.dataDirPath, 'outbox'), key: app.services.outboxKey } }),
        onKeysDestroyed: (keyIds) => {
          if (keyIds.length) app.bus.publish({ k: 'keys-destroyed', orgId, keyIds });
        },
      }),
    };

    r.get(e.policy.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.policy, doc('The organisation’s retention policy (off until a period is set)')) }, async (request) =>
      readRetentionPolicy(deps.db, requirePrincipal(request).orgId),
    );

    r.put(e.savePolicy.url, { preHandler: requirePermission('policies.manage'), schema: routeSchema(e.savePolicy, doc('Change the retention policy (audited with before and after)')) }, async (request) =>
      saveRetentionPolicy(deps, requirePrincipal(request), clientOf(request), request.body),
    );

    r.get(e.dryRun.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.dryRun, doc('How many records of each kind the policy would delete now (nothing changes)')) }, async (request) =>
      dryRunRetention(deps, requirePrincipal(request).orgId),
    );

    r.get(e.runs.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.runs, doc('Recent retention runs with their progress')) }, async (request) => ({ items: await listRetentionRuns(deps, requirePrincipal(request)) }));

    r.get(e.run.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.run, doc('One retention run: planned, deleted and skipped counts, percent done')) }, async (request) =>
      readRetentionRun(deps, requirePrincipal(request).orgId, request.params.id),
    );

    r.post(e.startRun.url, { preHandler: requirePermission('privacy.manage'), schema: routeSchema(e.startRun, doc('Start a retention run: freezes what the dry run counts now and deletes it in the background, in batches')) }, async (request, reply) => {
      const p = requirePrincipal(request);
      if (scopeOf(p, 'customers.erase') !== 'org') throw new AppError('forbidden', 'Starting a retention run needs the customers.erase permission.', { internal: 'missing customers.erase (org)' });
      requireFreshFactor(p, app.auth?.stepUpWindowMs);
      const run = await startRetentionRun(deps, { orgId: p.orgId, userId: p.userId, via: 'api', client: clientOf(request) });
      app.services.deferred.run('retention run', async () => {
        await processRetentionRun(deps, run.id, worker);
      });
      return reply.code(200).send(run);
    });

    r.get(e.schedule.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.schedule, doc('When the retention policy runs by itself (null: only when someone starts a run)')) }, async (request) => ({
      schedule: await readRetentionSchedule(deps, requirePrincipal(request).orgId),
    }));

    r.put(e.saveSchedule.url, { preHandler: requirePermission('privacy.manage'), schema: routeSchema(e.saveSchedule, doc('Set, change or remove the schedule: setting it needs what starting a run needs (audited)')) }, async (request) => ({
      schedule: await saveRetentionSchedule(deps, requirePrincipal(request), clientOf(request), request.body.schedule, { stepUpWindowMs: app.auth?.stepUpWindowMs }),
    }));

    r.get(e.holds.url, { preHandler: requirePermission('privacy.read'), schema: routeSchema(e.holds, doc('Legal holds (active first when asked), newest first')) }, async (request) => {
      const q = request.query;
      return { items: await listLegalHolds(deps, requirePrincipal(request), { ...(q.active !== undefined ? { active: q.active } : {}), ...(q.objectType ? { objectType: q.objectType } : {}), ...(q.objectId ? { objectId: q.objectId } : {}), ...(q.limit ? { limit: q.limit } : {}) }) };
    });

    r.post(e.setHold.url, { preHandler: requirePermission('privacy.manage'), schema: routeSchema(e.setHold, doc('Put a customer or a ticket on legal hold: nothing of it is deleted or erased until lifted (audited)')) }, async (request) =>
      setLegalHold(deps, requirePrincipal(request), clientOf(request), request.body),
    );

    r.post(e.liftHold.url, { preHandler: requirePermission('privacy.manage'), schema: routeSchema(e.liftHold, doc('Lift a legal hold, with a reason (audited; the hold stays listed as lifted)')) }, async (request) =>
      liftLegalHold(deps, requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason }),
    );
  };
}

export const retentionRoutes = createRetentionRoutes();
