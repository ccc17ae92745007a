/**
 * /api/training/*: role-based security training (docs/training.md, decision 0191; schemas:
 * src/platform/http/schemas/training.ts). A learner's routes need only a staff account (their own
 * assignments; another person's are not found); answering a quiz is an `ownAccount` write, so an
 * auditor's session may take its own training and a read-only token may not. Progress needs training.read
 * or training.manage; modules, rules and assigning need training.manage.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { trainingEndpoints as e } from '../../platform/http/schemas/training.js';
import { requirePermission, scopeOf } from '../auth/access.js';
import { requirePrincipal } from '../auth/auth.routes.js';
import { assignToPeople, createRule, deleteRule, listRules, myAssignments, readAssignment, readProgress, submitAttempt } from './assignments.service.js';
import { addModule, listModules, presentModule, readModule, syncShippedModules, type TrainingActor, type TrainingDeps } from './modules.service.js';

const tags = ['training'];

function actorOf(request: FastifyRequest): TrainingActor {
  return { principal: requirePrincipal(request), requestId: request.id };
}

async function requireProgressReader(request: FastifyRequest): Promise<void> {
  const p = requirePrincipal(request);
  if (!scopeOf(p, 'training.read') && !scopeOf(p, 'training.manage')) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing training.read or training.manage' });
}

export async function trainingRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps: TrainingDeps = { db: app.services.database.db, audit: app.services.audit };
  const manage = requirePermission('training.manage');
  // The shipped modules are written once the app is ready (a no-op when they are there already).
  app.addHook('onReady', async () => {
    await syncShippedModules(deps.db);
  });

  r.get(e.mine.url, { schema: routeSchema(e.mine, { tags, summary: 'Your training: modules assigned to you, due, overdue and done' }) }, async (request) => ({
    items: await myAssignments(deps, requirePrincipal(request)),
  }));
  r.get(e.assignment.url, { schema: routeSchema(e.assignment, { tags, summary: 'One of your assignments: the lesson and the quiz (without its answers)' }) }, async (request) =>
    readAssignment(deps, requirePrincipal(request), request.params.id),
  );
  r.post(e.attempt.url, {
    config: { ownAccount: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
    schema: routeSchema(e.attempt, { tags, summary: 'Answer the quiz of one of your assignments (graded on the server)' }),
  }, async (request, reply) => reply.code(201).send(await submitAttempt(deps, actorOf(request), request.params.id, request.body.answers, new Date(), request.body.moduleId)));

  r.get(e.progress.url, { preHandler: requireProgressReader, schema: routeSchema(e.progress, { tags, summary: 'Training progress: your teams’ (team leads) or everyone’s' }) }, async (request) =>
    readProgress(deps, actorOf(request), { ...(request.query.status ? { status: request.query.status } : {}), ...(request.query.moduleKey ? { moduleKey: request.query.moduleKey } : {}) }),
  );
  r.post(e.assign.url, { preHandler: manage, schema: routeSchema(e.assign, { tags, summary: 'Assign a module to people' }) }, async (request, reply) =>
    reply.code(201).send(await assignToPeople(deps, actorOf(request), request.body)),
  );
  r.get(e.modules.url, { preHandler: manage, schema: routeSchema(e.modules, { tags, summary: 'Modules: the newest version of each, shipped and your own' }) }, async (request) => ({
    items: (await listModules(deps.db, requirePrincipal(request).orgId)).map(presentModule),
  }));
  r.get(e.module.url, { preHandler: manage, schema: routeSchema(e.module, { tags, summary: 'One module version with its source and answers' }) }, async (request) =>
    readModule(deps.db, requirePrincipal(request).orgId, request.params.id),
  );
  r.post(e.addModule.url, { preHandler: manage, schema: routeSchema(e.addModule, { tags, summary: 'Add a module in the documented format (docs/training.md)' }) }, async (request, reply) =>
    reply.code(201).send(await addModule(deps, actorOf(request), request.body.source)),
  );
  r.get(e.rules.url, { preHandler: manage, schema: routeSchema(e.rules, { tags, summary: 'Assignment rules' }) }, async (request) => ({
    items: await listRules(deps.db, requirePrincipal(request).orgId),
  }));
  r.post(e.addRule.url, { preHandler: manage, schema: routeSchema(e.addRule, { tags, summary: 'Add an assignment rule (assigns at once to everyone it matches)' }) }, async (request, reply) =>
    reply.code(201).send(await createRule(deps, actorOf(request), request.body)),
  );
  r.delete(e.removeRule.url, { preHandler: manage, schema: routeSchema(e.removeRule, { tags, summary: 'Remove an assignment rule (assignments made stay)' }) }, async (request) => {
    await deleteRule(deps, actorOf(request), request.params.id);
    return { ok: true as const };
  });
}
