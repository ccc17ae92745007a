/**
 * Test helpers for /scim/v2: an app with the SCIM routes and the staff routes the tests call, an organisation
 * with a SCIM token, and a request function that speaks application/scim+json.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../platform/app/services.js';
import { testSchemaCache } from '../../platform/app/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { authRoutes } from '../auth/auth.routes.js';
import { buildOrg, type TestOrg } from '../auth/testing.js';
import { userRoutes } from '../users/users.routes.js';
import { createScimToken } from './admin.service.js';
import { scimAdminRoutes } from './scim-admin.routes.js';
import { scimRoutes } from './scim.routes.js';

export async function buildScimApp(services: Services, extra: Array<(app: FastifyInstance) => Promise<void>> = []): Promise<FastifyInstance> {
  const app = await buildApp({ services, schemaCache: testSchemaCache, routes: [authRoutes, userRoutes, scimRoutes, scimAdminRoutes, ...extra] });
  await app.ready();
  return app;
}

export interface ScimOrg extends TestOrg {
  token: string;
  tokenId: string;
}

export async function buildScimOrg(services: Services): Promise<ScimOrg> {
  const org = await buildOrg(services);
  const { id, token } = await createScimToken({ db: services.database.db, audit: services.audit }, { orgId: org.orgId, userId: null, requestId: 'test', ip: null }, { name: 'test provider', expiresInDays: 30 });
  return { ...org, token, tokenId: id };
}

export interface ScimAnswer {
  status: number;
  body: Record<string, unknown> & { Resources?: Array<Record<string, unknown>> };
  headers: Record<string, string | string[] | number | undefined>;
}

/** A SCIM request as a provider sends it (JSON body as application/scim+json unless told otherwise). */
export function scimClient(app: FastifyInstance, token: string) {
  return async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimAnswer> => {
    const res = await app.inject({
      method,
      url: `/scim/v2${url}`,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, body: res.body ? (res.json() as ScimAnswer['body']) : {}, headers: res.headers };
  };
}
