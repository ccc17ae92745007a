/**
 * `/metrics` in Prometheus' text format. On the main port only with `Authorization: Bearer <TRUSTDESK_METRICS_TOKEN>`
 * (404 without the setting, 401 with a wrong token: the scrape says how busy the helpdesk is); on the separate
 * metrics port (TRUSTDESK_METRICS_PORT, server.ts) without one. Gauges that live in the database are read at
 * scrape time, at most once a second, so a scraper cannot turn the endpoint into a load of queries.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { hashSecret, sameSecret } from '../../identity/auth/secrets.js';
import type { Database } from '../db/schema.js';
import { sendProblem } from '../http/problem.js';
import type { Logger } from '../logging.js';
import { auditCheckpointAge, auditCheckpointSize, auditLag, auditPending, imapMailboxes, queueDepth, queueOldestAge, registry, siemFailing } from './metrics.js';

const DB_GAUGES_EVERY_MS = 1_000;
const refreshed = new WeakMap<Kysely<Database>, { at: number; running: Promise<void> }>();

interface Row {
  outbound_depth: number;
  outbound_age: number | null;
  webhook_depth: number;
  webhook_age: number | null;
  audit_pending: number;
  audit_age: number | null;
  checkpoint_age: number | null;
  checkpoint_size: string | number | null;
  siem_depth: number;
  siem_age: number | null;
  siem_failing: number;
  imap_pending: number;
  imap_connected: number;
  imap_error: number;
  imap_disabled: number;
}

/** A destination far behind is counted up to this many waiting entries (an index range, no more). */
const SIEM_COUNT_CAP = 1_000_000;

/**
 * Queue depths and ages, audit sequencing lag, the latest checkpoint and the SIEM streams: one statement.
 * A SIEM destination's queue is its organisation's sequenced entries after its cursor, counted live (the
 * sender's own count is only as fresh as its last batch); its age is that of the first entry not delivered.
 */
async function readDatabaseGauges(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<Row>`
    SELECT
      (SELECT count(*)::int FROM outbound_mail WHERE status IN ('queued', 'sending')) AS outbound_depth,
      (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbound_mail WHERE status IN ('queued', 'sending')) AS outbound_age,
      (SELECT count(*)::int FROM webhook_deliveries WHERE status IN ('queued', 'sending')) AS webhook_depth,
      (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM webhook_deliveries WHERE status IN ('queued', 'sending')) AS webhook_age,
      (SELECT count(*)::int FROM audit_log WHERE idx IS NULL) AS audit_pending,
      (SELECT extract(epoch FROM now() - min(ts))::float8 FROM audit_log WHERE idx IS NULL) AS audit_age,
      (SELECT extract(epoch FROM now() - created_at)::float8 FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1) AS checkpoint_age,
      (SELECT tree_size FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1) AS checkpoint_size,
      (SELECT coalesce(sum(w.n), 0)::int FROM siem_cursors c JOIN siem_destinations d ON d.id = c.destination_id
         CROSS JOIN LATERAL (SELECT count(*) AS n FROM (SELECT 1 FROM audit_log a WHERE a.org_id = c.org_id AND a.idx IS NOT NULL AND a.idx > c.cursor_idx LIMIT ${SIEM_COUNT_CAP}) AS waiting) AS w
         WHERE d.enabled) AS siem_depth,
      (SELECT extract(epoch FROM now() - min(f.ts))::float8 FROM siem_cursors c JOIN siem_destinations d ON d.id = c.destination_id
         CROSS JOIN LATERAL (SELECT a.ts FROM audit_log a WHERE a.org_id = c.org_id AND a.idx IS NOT NULL AND a.idx > c.cursor_idx ORDER BY a.idx LIMIT 1) AS f
         WHERE d.enabled) AS siem_age,
      (SELECT count(*)::int FROM siem_cursors c JOIN siem_destinations d ON d.id = c.destination_id WHERE d.enabled AND c.failures > 0) AS siem_failing,
      (SELECT count(*)::int FROM imap_accounts WHERE enabled AND state = 'pending') AS imap_pending,
      (SELECT count(*)::int FROM imap_accounts WHERE enabled AND state = 'connected') AS imap_connected,
      (SELECT count(*)::int FROM imap_accounts WHERE enabled AND state = 'error') AS imap_error,
      (SELECT count(*)::int FROM imap_accounts WHERE NOT enabled) AS imap_disabled`.execute(db);
  const r = rows[0]!;
  queueDepth.set({ queue: 'outbound_mail' }, r.outbound_depth);
  queueOldestAge.set({ queue: 'outbound_mail' }, Math.max(0, r.outbound_age ?? 0));
  queueDepth.set({ queue: 'webhooks' }, r.webhook_depth);
  queueOldestAge.set({ queue: 'webhooks' }, Math.max(0, r.webhook_age ?? 0));
  queueDepth.set({ queue: 'siem' }, r.siem_depth);
  queueOldestAge.set({ queue: 'siem' }, Math.max(0, r.siem_age ?? 0));
  siemFailing.set(r.siem_failing);
  imapMailboxes.set({ state: 'pending' }, r.imap_pending);
  imapMailboxes.set({ state: 'connected' }, r.imap_connected);
  imapMailboxes.set({ state: 'error' }, r.imap_error);
  imapMailboxes.set({ state: 'disabled' }, r.imap_disabled);
  auditPending.set(r.audit_pending);
  auditLag.set(Math.max(0, r.audit_age ?? 0));
  if (r.checkpoint_age !== null) auditCheckpointAge.set(Math.max(0, r.checkpoint_age));
  if (r.checkpoint_size !== null) auditCheckpointSize.set(Number(r.checkpoint_size));
}

/** The scrape's text. A database that does not answer leaves its gauges at their last values; the rest is served. */
export async function renderMetrics(db: Kysely<Database>, logger: Logger): Promise<string> {
  let state = refreshed.get(db);
  if (!state || Date.now() - state.at >= DB_GAUGES_EVERY_MS) {
    const running = readDatabaseGauges(db).catch((err: unknown) => logger.warn({ err }, 'metrics: database gauges not read'));
    state = { at: Date.now(), running };
    refreshed.set(db, state);
  }
  await state.running;
  return registry.metrics();
}

export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  const token = app.services.config.metricsToken;
  app.get('/metrics', { config: { public: true, ownAuthorization: true }, schema: { hide: true } }, async (request, reply) => {
    if (!token) return sendProblem(reply, request, 404, 'not_found', 'Metrics are not served on this port.');
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!sameSecret(hashSecret(given), hashSecret(token))) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      return sendProblem(reply, request, 401, 'unauthenticated', 'A valid metrics token is required.');
    }
    reply.header('cache-control', 'no-store').type(registry.contentType);
    return renderMetrics(app.services.database.db, app.services.logger);
  });
}

/** The separate metrics port: GET /metrics only, nothing else, no token (bind it to an internal address). */
export async function listenMetrics(db: Kysely<Database>, logger: Logger, port: number, host: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    renderMetrics(db, logger).then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text),
      (err: unknown) => {
        logger.warn({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
