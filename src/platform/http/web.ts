/**
 * Serves the built web app (web/dist, made by `npm run build:web` or at
 * `npm start`): hashed assets under /assets/ (immutable), and the HTML shell at
 * `/` and under each path in WEB_APP_PATHS. These routes are public: the shell
 * holds no data, and every API call it makes passes the gate. Without a build,
 * the same paths answer 503 with the command to run. Decision 0090 §3. On an
 * organisation's own host name, only the portal is served (decision 0238).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addressFor, organizationAtHost } from '../../identity/organizations/hosts.js';
import { WEB_APP_PATHS } from './schemas/web-paths.js';
import { projectPath } from '../paths.js';

export const WEB_DIST_DIR = `${projectPath('web', 'dist')}${path.sep}`;

export function createWebRoutes(options: { distDir?: string } = {}) {
  const distDir = options.distDir ?? WEB_DIST_DIR;
  return async function webRoutes(app: FastifyInstance): Promise<void> {
    app.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), public: true };
    });
    const indexFile = path.join(distDir, 'index.html');
    const built = existsSync(indexFile);
    if (!built) app.log.warn(`The web app is not built (${indexFile} is missing); run \`npm run build:web\`.`);
    const html = built ? readFileSync(indexFile) : null;
    const favicon = existsSync(path.join(distDir, 'favicon.svg')) ? readFileSync(path.join(distDir, 'favicon.svg')) : null;

    const hosts = { db: app.services.database.db, publicUrl: app.services.config.publicUrl };
    const shell = async (request: FastifyRequest, reply: FastifyReply) => {
      // An organisation's own host name serves its customers (decision 0238): its root opens the portal, and staff
      // pages go to the installation's address, where staff sign in (their passkeys and live updates belong there).
      if (await organizationAtHost(hosts, request.hostname)) {
        const pathname = request.url.split('?')[0] ?? '/';
        if (pathname === '/') return reply.redirect('/portal', 302);
        if (pathname !== '/portal' && !pathname.startsWith('/portal/')) return reply.redirect(`${addressFor(hosts.publicUrl, null)}${request.url}`, 302);
      }
      if (!html) {
        return reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('The web app is not built. Run `npm run build:web` (npm start does it for you).\n');
      }
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    };
    const hide = { schema: { hide: true } };
    app.get('/', hide, shell);
    for (const prefix of WEB_APP_PATHS) {
      app.get(prefix, hide, shell);
      app.get(`${prefix}/*`, hide, shell);
    }
    if (favicon) {
      app.get('/favicon.svg', hide, async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(favicon));
    }
    if (built && existsSync(path.join(distDir, 'assets'))) {
      await app.register(fastifyStatic, {
        root: path.join(distDir, 'assets'),
        prefix: '/assets/',
        index: false,
        immutable: true,
        maxAge: '365d',
        decorateReply: false,
        schemaHide: true,
      });
    }
  };
}

export const webRoutes = createWebRoutes();
