/**
 * /api/organization/mail (+ /test), /api/organization/security-policy and /api/organization/limits:
 * read-outs of the settings in force for the administration screens, and the
 * email "send test". Schemas: src/platform/http/schemas/organization.ts. Decision 0093.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { requirePermission } from '../auth/access.js';
import { clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { STEP_UP_PERMISSIONS } from '../auth/permissions.js';
import { AppError } from '../../platform/errors.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../platform/http/schemas/auth.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { organizationEndpoints as e, SIGNIN_LOCKOUT } from '../../platform/http/schemas/organization.js';
import { organizationLimits, organizationUsage, utcDay } from '../organizations/limits.js';
import { mailSettings, sendTestMail, type MailTestOptions } from './mail-settings.js';

export interface OrganizationRouteOptions {
  /** Replaces the configured transport for "send test" (tests). */
  mailTest?: Omit<MailTestOptions, 'outboxKey'>;
}

/** Each test opens a connection to the relay: enough to try a few settings, too few to spam. */
export const MAIL_TESTS_PER_10_MINUTES = 10;

/** Per person, not per address: several administrators behind one proxy do not share a budget. */
const perUser = (request: FastifyRequest) => request.principal?.userId ?? request.ip;

export function organizationRoutesWith(options: OrganizationRouteOptions = {}) {
  return async function organizationRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const db = () => app.services.database.db;
    const tags = ['organization'];

    r.get(e.mail.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.mail, { tags, summary: 'Email channel settings in force (from the environment; no secrets)' }) }, async (request) => {
      const p = requirePrincipal(request);
      const row = await db().selectFrom('mailboxes').where('org_id', '=', p.orgId).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      return mailSettings(app.services.config, Number(row.n));
    });

    r.post(e.mailTest.url, {
      preHandler: requirePermission('channels.manage'),
      config: { rateLimit: { max: MAIL_TESTS_PER_10_MINUTES, timeWindow: '10 minutes', keyGenerator: perUser } },
      schema: routeSchema(e.mailTest, { tags, summary: 'Send a test message to yourself or another staff address of the organisation, and report the outcome' }),
    }, async (request) => {
      const p = requirePrincipal(request);
      const client = clientOf(request);
      const wanted = request.body.to?.trim().toLowerCase();
      const recipient = wanted
        ? await db().selectFrom('users').where('org_id', '=', p.orgId).where('email', '=', wanted).where('status', '=', 'active').select(['id', 'email']).executeTakeFirst()
        : await db().selectFrom('users').where('id', '=', p.userId).where('org_id', '=', p.orgId).select(['id', 'email']).executeTakeFirst();
      // Only staff of this organisation: the test cannot be used to mail strangers from the organisation's domain.
      if (!recipient) throw new AppError('validation_failed', 'Send the test to a staff address of this organisation.', { extra: { errors: [{ field: 'to', message: 'must be an active staff address of this organisation' }] } });
      const result = await sendTestMail(app.services.config, recipient.email, { ...options.mailTest, outboxKey: app.services.outboxKey });
      await app.services.audit.record({
        orgId: p.orgId,
        actor: { type: 'user', id: p.userId },
        action: 'mail.test',
        object: { type: 'user', id: recipient.id },
        result: result.outcome === 'failed' ? 'failure' : 'success',
        details: { outcome: result.outcome, reason: result.reason, smtpCode: result.smtpCode },
        requestId: client.requestId,
        sourceIp: client.ip,
      });
      return result;
    });

    r.get(e.securityPolicy.url, { preHandler: requirePermission('users.read'), schema: routeSchema(e.securityPolicy, { tags, summary: 'Security policy in force: sessions, step-up, second factors, passwords, lockout, address allowlist' }) }, async (request) => {
      const p = requirePrincipal(request);
      const [org, roles, members] = await Promise.all([
        db().selectFrom('organizations').where('id', '=', p.orgId).select('allowed_cidrs').executeTakeFirst(),
        db().selectFrom('roles').where('org_id', '=', p.orgId).orderBy('built_in', 'desc').orderBy('name').select(['id', 'key', 'name', 'built_in', 'require_phishing_resistant']).execute(),
        db().selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').innerJoin('users', 'users.id', 'user_roles.user_id')
          .where('roles.org_id', '=', p.orgId).where('users.status', '<>', 'deactivated')
          .groupBy('user_roles.role_id').select(['user_roles.role_id', sql<number>`count(*)::int`.as('n')]).execute(),
      ]);
      if (!org) throw new AppError('not_found', 'No such organisation.');
      return {
        sessions: {
          idleMinutes: Math.round(app.auth.policy.idleMs / 60_000),
          maxHours: Math.round(app.auth.policy.absoluteMs / 3_600_000),
          stepUpMinutes: Math.round(app.auth.stepUpWindowMs / 60_000),
          stepUpPermissions: [...STEP_UP_PERMISSIONS],
        },
        mfa: {
          requiredForAllStaff: true,
          roles: roles.map((x) => ({ id: x.id, key: x.key, name: x.name, builtIn: x.built_in, requirePhishingResistant: x.require_phishing_resistant, members: Number(members.find((m) => m.role_id === x.id)?.n ?? 0) })),
        },
        passwords: { minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, breachedListChecked: true, contextWordsChecked: true },
        lockout: { ...SIGNIN_LOCKOUT },
        allowedCidrs: org.allowed_cidrs,
      };
    });

    r.get(e.limits.url, { preHandler: requirePermission('users.read'), schema: routeSchema(e.limits, { tags, summary: 'Limits set by the installation’s operator (seats, storage, inbound per day) and what is used; read-only' }) }, async (request) => {
      const p = requirePrincipal(request);
      const now = new Date();
      const [limits, usage] = await Promise.all([organizationLimits(db(), p.orgId), organizationUsage(db(), p.orgId, now)]);
      return {
        seats: { limit: limits.seats, used: usage.seats },
        storageBytes: { limit: limits.storageBytes, used: usage.storageBytes },
        inboundPerDay: { limit: limits.inboundPerDay, used: usage.inboundToday },
        day: utcDay(now),
      };
    });
  };
}

export const organizationRoutes = organizationRoutesWith();
