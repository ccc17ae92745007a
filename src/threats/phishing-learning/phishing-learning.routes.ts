/**
 * /api/phishing-learning: what the organisation's phishing model learned from its people's labels
 * (read: quarantine.read or policies.manage), and its reset (policies.manage, with a written
 * reason, audited with the change). Decision 0174.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can, requirePermission, type Principal } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { phishingLearningEndpoints as e } from '../../platform/http/schemas/phishing-learning.js';
import { DEFAULT_LIMITS } from '../phishing/learning/index.js';
import { learningStatus, resetLearning, type LearningStatus } from './store.js';

const tags = ['phishing'];

/** Security officers read what was learned; administrators, who may reset it, read it too. */
async function requireLearningReader(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const p = request.principal;
  if (!p) throw new AppError('unauthenticated', 'Sign in to continue.');
  if (!can(p, 'quarantine.read') && !can(p, 'policies.manage')) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing quarantine.read/policies.manage' });
}

const present = (status: LearningStatus, p: Principal) => ({ ...status, dailyCap: DEFAULT_LIMITS.dailyCap, abilities: { reset: can(p, 'policies.manage') } });

export async function phishingLearningRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.services.database;
  const { keyring, audit } = app.services;

  r.get(e.status.url, {
    preHandler: requireLearningReader,
    schema: routeSchema(e.status, { tags, summary: 'What the organisation’s phishing model learned from its people’s labels' }),
  }, async (request) => {
    const p = requirePrincipal(request);
    return present(await learningStatus(db, keyring, p.orgId), p);
  });

  r.post(e.reset.url, {
    preHandler: requirePermission('policies.manage'),
    schema: routeSchema(e.reset, { tags, summary: 'Forget everything the phishing model learned (audited, with a reason)' }),
  }, async (request) => {
    const p = requirePrincipal(request);
    const client = clientOf(request);
    await db.transaction().execute(async (trx) => {
      const before = await learningStatus(trx, keyring, p.orgId);
      const dropped = await resetLearning(trx, { orgId: p.orgId, userId: p.userId });
      await audit.append(trx, {
        orgId: p.orgId,
        actor: { type: 'user', id: p.userId },
        action: 'policy.phishing_learning_reset',
        object: { type: 'organization', id: p.orgId },
        purpose: request.body.reason,
        result: 'success',
        details: { labels: dropped, readable: before.readable, phish: before.labels.phish, ham: before.labels.ham },
        requestId: client.requestId,
        sourceIp: client.ip,
      });
    });
    return present(await learningStatus(db, keyring, p.orgId), p);
  });
}
