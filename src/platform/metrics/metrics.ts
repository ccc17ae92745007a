/**
 * Prometheus metrics (docs/operations.md "Metrics", decision 0199). One registry per process: the server runs one
 * app, and counters from the code paths that feed them (ingest, the keyring, sockets) need no plumbing.
 *
 * No label may carry personal data or an id: label values come only from fixed sets written here or in the code
 * that observes (a route's pattern, never its URL; a verdict; a sensitive-data type), so a customer's name,
 * address or id cannot reach a scrape. metrics.test.ts greps a scrape for a workload's customers.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { inSpan } from '../tracing/tracing.js';

export const registry = new Registry();

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export const httpDuration = new Histogram({
  name: 'trustdesk_http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern (never the URL) and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Observes one answered request. `route` is Fastify's pattern (`/api/tickets/:id`); unmatched URLs count as one. */
export function observeHttp(method: string, route: string | undefined, status: number, seconds: number): void {
  httpDuration.observe({ method: METHODS.has(method) ? method : 'OTHER', route: route ?? 'unmatched', status: String(status) }, seconds);
}

export const smtpMessages = new Counter({
  name: 'trustdesk_smtp_messages_total',
  help: 'Inbound SMTP transactions by outcome: stored (250), refused_size (552), refused_recipient (550/452), refused_limit (450/452: an organisation\'s inbound or storage limit), failed_temporary (451)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const smtpSessions = new Counter({
  name: 'trustdesk_smtp_sessions_total',
  help: 'Inbound SMTP connections accepted',
  registers: [registry],
});

export const ingestStage = new Histogram({
  name: 'trustdesk_ingest_stage_seconds',
  help: 'Inbound mail pipeline: time per stage (parse, threats, redact, store)',
  labelNames: ['stage'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  registers: [registry],
});

export const ingestOutcomes = new Counter({
  name: 'trustdesk_ingest_messages_total',
  help: 'Inbound messages by outcome (created, appended, duplicate, quarantined)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const imapMessages = new Counter({
  name: 'trustdesk_imap_messages_total',
  help: 'Messages taken from pulled IMAP mailboxes by outcome: stored (or already stored: duplicate), too_large (left on the server, flagged), deferred_limit (left on the server: the organisation\'s inbound messages for today are taken)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const imapSessions = new Counter({
  name: 'trustdesk_imap_sessions_total',
  help: 'Connections to pulled IMAP mailboxes by result: connected, or failed (retried with backoff)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const phishingVerdicts = new Counter({
  name: 'trustdesk_phishing_verdicts_total',
  help: 'Phishing verdicts on inbound mail',
  labelNames: ['verdict'] as const,
  registers: [registry],
});

export const dlpFindings = new Counter({
  name: 'trustdesk_dlp_findings_total',
  help: 'Sensitive data found in inbound mail, by type and what the policy did',
  labelNames: ['type', 'action'] as const,
  registers: [registry],
});

export const dekCacheLookups = new Counter({
  name: 'trustdesk_dek_cache_lookups_total',
  help: 'Unwrapped data-key cache lookups (hit, miss); the hit rate is hit / (hit + miss)',
  labelNames: ['result'] as const,
  registers: [registry],
});

type SocketKind = 'console' | 'chat';
const socketSources = new Set<{ kind: SocketKind; count: () => number }>();

/** A hub's open sockets count in the gauge until the returned function is called (its close). */
export function countSockets(kind: SocketKind, count: () => number): () => void {
  const source = { kind, count };
  socketSources.add(source);
  return () => void socketSources.delete(source);
}

export const websockets = new Gauge({
  name: 'trustdesk_websocket_connections',
  help: 'Open WebSocket connections: console (staff) and chat (customers)',
  labelNames: ['kind'] as const,
  registers: [registry],
  collect() {
    const totals: Record<SocketKind, number> = { console: 0, chat: 0 };
    for (const s of socketSources) totals[s.kind] += s.count();
    for (const kind of ['console', 'chat'] as const) this.set({ kind }, totals[kind]);
  },
});

/** Gauges read from the database at scrape time (metrics-routes.ts sets them before rendering). */
export const queueDepth = new Gauge({
  name: 'trustdesk_queue_depth',
  help: 'Items waiting in a durable queue (outbound mail, webhooks; siem: audit entries not yet delivered to enabled SIEM destinations)',
  labelNames: ['queue'] as const,
  registers: [registry],
});

export const queueOldestAge = new Gauge({
  name: 'trustdesk_queue_oldest_age_seconds',
  help: 'Age of the oldest item waiting in a durable queue (0 when empty)',
  labelNames: ['queue'] as const,
  registers: [registry],
});

export const siemFailing = new Gauge({
  name: 'trustdesk_siem_destinations_failing',
  help: 'Enabled SIEM destinations whose last delivery attempt failed (they retry with backoff)',
  registers: [registry],
});

export const imapMailboxes = new Gauge({
  name: 'trustdesk_imap_mailboxes',
  help: 'Pulled IMAP mailboxes by state: pending (not tried yet), connected, error (the last session failed), disabled',
  labelNames: ['state'] as const,
  registers: [registry],
});

export const auditPending = new Gauge({
  name: 'trustdesk_audit_pending_entries',
  help: 'Audit entries recorded but not yet sequenced into the log',
  registers: [registry],
});

export const auditLag = new Gauge({
  name: 'trustdesk_audit_sequencing_lag_seconds',
  help: 'Age of the oldest audit entry not yet sequenced (0 when none)',
  registers: [registry],
});

export const auditCheckpointAge = new Gauge({
  name: 'trustdesk_audit_checkpoint_age_seconds',
  help: 'Time since the latest signed audit checkpoint',
  registers: [registry],
});

export const auditCheckpointSize = new Gauge({
  name: 'trustdesk_audit_checkpoint_tree_size',
  help: 'Entries covered by the latest signed audit checkpoint',
  registers: [registry],
});

let processMetrics = false;

/** Process metrics (CPU, memory, event-loop delay), prefixed; once per process, by the server. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, prefix: 'trustdesk_' });
}

/** Runs one stage of the inbound pipeline, timing it whether it succeeds or throws. */
export async function timeIngestStage<T>(stage: 'parse' | 'threats' | 'redact' | 'store', work: () => Promise<T>): Promise<T> {
  const end = ingestStage.startTimer({ stage });
  try {
    return await inSpan(`ingest ${stage}`, { 'trustdesk.stage': stage }, work);
  } finally {
    end();
  }
}
