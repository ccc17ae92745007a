/**
 * /scim/v2 (RFC 7644): Users, Groups, ServiceProviderConfig, ResourceTypes and Schemas, for the identity
 * provider of one organisation. Its own door: the staff gate does not apply (each route is `public` to it and
 * reads the Authorization header itself), and a hook here requires a SCIM token (tdp_…) on every route,
 * discovery included. An API token or a staff session is not one; a SCIM token is not an API token either, so
 * it opens nothing under /api. Answers are application/scim+json; errors are SCIM errors (status, scimType,
 * detail), never problem+json, and a 5xx never shows its cause.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { resourceTypeDocuments, schemaDocuments, serviceProviderConfig, LIST_SCHEMA } from './attributes.js';
import { authenticateScimToken } from './admin.service.js';
import { ScimError } from './errors.js';
import { createScimGroup, deleteScimGroup, getScimGroup, listScimGroups, patchScimGroup, replaceScimGroup } from './groups.service.js';
import type { Resource } from './patch.js';
import { parseListQuery, project } from './present.js';
import { createScimUser, deleteScimUser, getScimUser, listScimUsers, patchScimUser, replaceScimUser, type ScimCaller, type ScimDeps } from './users.service.js';

export const SCIM_PREFIX = '/scim/v2';
const SCIM_JSON = 'application/scim+json; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organisation whose SCIM token authenticated the request (/scim/v2 only). */
    scimCaller?: ScimCaller;
  }
}

const IdParams = { type: 'object', properties: { id: { type: 'string', maxLength: 200 } }, required: ['id'] } as const;
const AnyBody = { type: 'object' } as const;

export async function scimRoutes(app: FastifyInstance): Promise<void> {
  await app.register(scimPlugin, { prefix: SCIM_PREFIX });
}

async function scimPlugin(scim: FastifyInstance): Promise<void> {
  const s = scim.services;
  const deps: ScimDeps = { db: s.database.db, audit: s.audit };
  const base = `${s.config.publicUrl.replace(/\/$/, '')}${SCIM_PREFIX}`;

  // Every route here: outside the staff gate (public to it), the Authorization header read by the hook below only.
  scim.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), public: true, ownAuthorization: true };
    route.schema = { ...(route.schema ?? {}), hide: true };
  });

  scim.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ScimError(400, 'invalidSyntax', 'The body is not valid JSON.'), undefined);
    }
  });

  scim.setErrorHandler((error: FastifyError | ScimError | Error, request, reply) => {
    if (error instanceof ScimError) return sendError(reply, error);
    if (error instanceof AppError) return sendError(reply, new ScimError(error.status, null, error.status >= 500 ? 'Something went wrong on our side.' : error.message));
    // Two creations racing for one userName, externalId or address: the database's unique index decides.
    if ((error as { code?: unknown }).code === '23505') return sendError(reply, new ScimError(409, 'uniqueness', 'A resource with this userName, externalId, address or displayName exists.'));
    if (isDatabaseUnavailable(error)) {
      reply.header('retry-after', '5');
      return sendError(reply, new ScimError(503, null, 'The service is briefly unavailable. Try again in a few seconds.'));
    }
    const fe = error as FastifyError;
    if (fe.validation) return sendError(reply, new ScimError(400, 'invalidSyntax', 'The request is not valid SCIM.'));
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'scim request failed');
      return sendError(reply, new ScimError(500, null, 'Something went wrong on our side.'));
    }
    // Malformed JSON, an unsupported media type, a body over the limit: the safe text Fastify gives.
    return sendError(reply, new ScimError(status, status === 400 ? 'invalidSyntax' : null, status === 400 ? 'The body is not valid JSON.' : fe.message));
  });
  // Any other path under /scim/v2 (/Bulk, /Me, /.search: not offered) is a SCIM 404 behind the same token check.
  scim.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/*', handler: async () => {
    throw new ScimError(404, null, 'No such endpoint.');
  } });

  scim.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const auth = await authenticateScimToken(deps, raw, { ip: request.ip, requestId: String(request.id) });
    if (!auth) {
      reply.header('www-authenticate', 'Bearer realm="scim"');
      throw new ScimError(401, null, 'A valid SCIM token is required.');
    }
    request.scimCaller = { ...auth, requestId: String(request.id), ip: request.ip, base };
    await s.audit.record({ orgId: auth.orgId, actor: { type: 'token', id: auth.tokenId }, action: 'scim.token_use', object: { type: 'route', id: `${request.method} ${request.routeOptions.url ?? ''}` }, result: 'success', requestId: String(request.id), sourceIp: request.ip });
  });

  const caller = (request: FastifyRequest): ScimCaller => {
    if (!request.scimCaller) throw new ScimError(401, null, 'A valid SCIM token is required.');
    return request.scimCaller;
  };
  const ifMatch = (request: FastifyRequest) => (typeof request.headers['if-match'] === 'string' ? request.headers['if-match'] : undefined);

  /** One resource: its version as ETag; If-None-Match with that version answers 304. */
  const sendResource = (request: FastifyRequest, reply: FastifyReply, resource: Resource, status = 200) => {
    const version = (resource.meta as { version: string }).version;
    reply.header('etag', version);
    if (status === 201) reply.header('location', (resource.meta as { location: string }).location);
    if (status === 200 && request.method === 'GET' && request.headers['if-none-match']?.split(',').map((v) => v.trim()).includes(version)) return reply.code(304).send();
    const q = parseListQuery(request.query as Record<string, unknown>, resource.schemas && String(resource.schemas).includes('Group') ? 'Group' : 'User');
    return reply.code(status).type(SCIM_JSON).send(project(resource, q));
  };
  const sendJson = (reply: FastifyReply, body: unknown) => reply.type(SCIM_JSON).send(body);

  scim.get('/ServiceProviderConfig', async (_request, reply) => sendJson(reply, serviceProviderConfig(base)));
  scim.get('/ResourceTypes', async (_request, reply) => {
    const all = resourceTypeDocuments(base);
    return sendJson(reply, { schemas: [LIST_SCHEMA], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all });
  });
  scim.get<{ Params: { id: string } }>('/ResourceTypes/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const found = resourceTypeDocuments(base).find((d) => d.id === request.params.id);
    if (!found) throw new ScimError(404, null, 'No such resource type.');
    return sendJson(reply, found);
  });
  scim.get('/Schemas', async (_request, reply) => {
    const all = schemaDocuments(base);
    return sendJson(reply, { schemas: [LIST_SCHEMA], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all });
  });
  scim.get<{ Params: { id: string } }>('/Schemas/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const found = schemaDocuments(base).find((d) => d.id === request.params.id);
    if (!found) throw new ScimError(404, null, 'No such schema.');
    return sendJson(reply, found);
  });

  scim.get('/Users', async (request, reply) => sendJson(reply, await listScimUsers(deps, caller(request), parseListQuery(request.query as Record<string, unknown>, 'User'))));
  scim.post('/Users', { schema: { body: AnyBody } }, async (request, reply) => sendResource(request, reply, await createScimUser(deps, caller(request), request.body), 201));
  scim.get<{ Params: { id: string } }>('/Users/:id', { schema: { params: IdParams } }, async (request, reply) => sendResource(request, reply, await getScimUser(deps, caller(request), request.params.id)));
  scim.put<{ Params: { id: string } }>('/Users/:id', { schema: { params: IdParams, body: AnyBody } }, async (request, reply) =>
    sendResource(request, reply, await replaceScimUser(deps, caller(request), request.params.id, request.body, ifMatch(request))),
  );
  scim.patch<{ Params: { id: string } }>('/Users/:id', { schema: { params: IdParams, body: AnyBody } }, async (request, reply) =>
    sendResource(request, reply, await patchScimUser(deps, caller(request), request.params.id, request.body, ifMatch(request))),
  );
  scim.delete<{ Params: { id: string } }>('/Users/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await deleteScimUser(deps, caller(request), request.params.id, ifMatch(request));
    return reply.code(204).send();
  });

  scim.get('/Groups', async (request, reply) => sendJson(reply, await listScimGroups(deps, caller(request), parseListQuery(request.query as Record<string, unknown>, 'Group'))));
  scim.post('/Groups', { schema: { body: AnyBody } }, async (request, reply) => sendResource(request, reply, await createScimGroup(deps, caller(request), request.body), 201));
  scim.get<{ Params: { id: string } }>('/Groups/:id', { schema: { params: IdParams } }, async (request, reply) => sendResource(request, reply, await getScimGroup(deps, caller(request), request.params.id)));
  scim.put<{ Params: { id: string } }>('/Groups/:id', { schema: { params: IdParams, body: AnyBody } }, async (request, reply) =>
    sendResource(request, reply, await replaceScimGroup(deps, caller(request), request.params.id, request.body, ifMatch(request))),
  );
  scim.patch<{ Params: { id: string } }>('/Groups/:id', { schema: { params: IdParams, body: AnyBody } }, async (request, reply) =>
    sendResource(request, reply, await patchScimGroup(deps, caller(request), request.params.id, request.body, ifMatch(request))),
  );
  scim.delete<{ Params: { id: string } }>('/Groups/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await deleteScimGroup(deps, caller(request), request.params.id, ifMatch(request));
    return reply.code(204).send();
  });
}

function sendError(reply: FastifyReply, error: ScimError) {
  return reply.code(error.status).type(SCIM_JSON).send(error.body());
}
