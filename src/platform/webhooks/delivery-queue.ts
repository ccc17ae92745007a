/**
 * The webhook delivery worker: claims due deliveries (FOR UPDATE SKIP LOCKED
 * with a lease, so several instances share the queue and a crashed sender's
 * rows come back), signs each with the subscription's secret, sends it through
 * the outbound wrapper, and records only the HTTP status or an error kind.
 * Non-2xx answers and network errors retry with exponential backoff and
 * jitter; after `maxAttempts` the delivery is marked failed.
 */
import type { CustomerDeps } from '../../helpdesk/customers/customers.service.js';
import { outageLog, type Logger } from '../logging.js';
import { backoffDelay, claimDueRows, type BackoffPolicy } from '../db/work-queue.js';
import { OutboundRefusedError, sendOutboundRequest, type OutboundOptions, type OutboundRequest, type OutboundResponse } from '../http/outbound.js';
import '../../helpdesk/sla/schema.js';
import { SIGNATURE_HEADER, signWebhookPayload } from './signature.js';

export const WEBHOOK_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 3600_000, maxAttempts: 8 };

export interface WebhookWorkerDeps extends CustomerDeps {
  logger: Logger;
  outbound: OutboundOptions;
  /** Replaceable for tests; production uses the SSRF-checking wrapper. */
  send?: (req: OutboundRequest, options: OutboundOptions) => Promise<OutboundResponse>;
}

interface Claimed {
  id: string;
  org_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  attempts: number;
}

function claimDue(deps: WebhookWorkerDeps, limit: number, leaseMs: number, now: Date): Promise<Claimed[]> {
  return claimDueRows(deps.db, {
    table: 'webhook_deliveries',
    columns: ['id', 'org_id', 'subscription_id', 'event_id', 'event_type', 'payload', 'attempts'],
    limit,
    leaseMs,
    now,
  });
}

export interface WebhookProcessResult {
  delivered: number;
  retried: number;
  failed: number;
}

/** One pass over the due queue. Safe to run concurrently on several instances. */
export async function processWebhookQueue(deps: WebhookWorkerDeps, options: { limit?: number; leaseMs?: number; backoff?: BackoffPolicy; now?: Date } = {}): Promise<WebhookProcessResult> {
  const backoff = options.backoff ?? WEBHOOK_BACKOFF;
  const now = options.now ?? new Date();
  const rows = await claimDue(deps, options.limit ?? 20, options.leaseMs ?? 2 * 60_000, now);
  const send = deps.send ?? sendOutboundRequest;
  const result: WebhookProcessResult = { delivered: 0, retried: 0, failed: 0 };
  for (const row of rows) {
    let error: string | null = null;
    let permanent = false;
    try {
      const sub = await deps.db.selectFrom('webhook_subscriptions').where('id', '=', row.subscription_id).select(['id', 'url', 'secret_enc', 'active']).executeTakeFirst();
      if (!sub || !sub.active) {
        error = 'subscription_inactive';
        permanent = true;
      } else {
        const secret = await deps.keyring.decrypt({ table: 'webhook_subscriptions', column: 'secret_enc', rowId: sub.id }, sub.secret_enc);
        const body = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
        const res = await send(
          {
            url: sub.url,
            method: 'POST',
            body,
            headers: {
              'content-type': 'application/json',
              [SIGNATURE_HEADER]: signWebhookPayload({ secret, body, timestamp: Date.now() / 1000 }),
              'trustdesk-event': row.event_type,
              'trustdesk-delivery': row.id,
            },
          },
          { ...deps.outbound, maxRedirects: 0 },
        );
        if (res.status < 200 || res.status >= 300) error = `http ${res.status}`;
      }
    } catch (err) {
      error = err instanceof OutboundRefusedError ? `refused ${err.reason}` : 'network';
    }
    const exhausted = row.attempts >= backoff.maxAttempts;
    const status = error === null ? 'delivered' : permanent || exhausted ? 'failed' : 'queued';
    if (status === 'delivered') result.delivered++;
    else if (status === 'failed') result.failed++;
    else result.retried++;
    if (error) deps.logger.warn({ deliveryId: row.id, attempt: row.attempts, error }, 'webhook not delivered');
    await deps.db
      .updateTable('webhook_deliveries')
      .set({
        status,
        locked_until: null,
        last_error: error,
        delivered_at: status === 'delivered' ? new Date() : null,
        next_attempt_at: new Date(now.getTime() + (status === 'queued' ? backoffDelay(row.attempts, backoff) : 0)),
      })
      .where('id', '=', row.id)
      .execute();
  }
  return result;
}

/** Runs the worker every `intervalMs` until stopped (the server starts one per instance). */
export function startWebhookWorker(deps: WebhookWorkerDeps, options: { intervalMs?: number } = {}): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const log = outageLog(deps.logger, 'webhook worker pass', (err) => (err as Error).name);
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await processWebhookQueue(deps);
        log.succeeded();
      } catch (err) {
        log.failed(err);
      }
    });
  }, options.intervalMs ?? 2000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
