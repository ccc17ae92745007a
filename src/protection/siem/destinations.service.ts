/**
 * SIEM destinations of an organisation (docs/siem.md): create, change, remove (siem.manage, each audited in its
 * transaction), list and read with the delivery status (siem.read), and a test message. Secrets (the HTTP token,
 * the TLS client key) are stored under the organisation's key and never shown again: a view says only whether
 * one is set. Every setting is checked before it is saved: host, port, URL, PEM certificates and key.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { Executor, Keyring } from '../crypto/keyring.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ActorType } from '../audit/entry.js';
import type { OutboundOptions } from '../../platform/http/outbound.js';
import type { FormatOptions } from './format.js';
import { countLag, transportConfigOf } from './sender.js';
import type { SiemFormat, SiemTransport } from './schema.js';
import { createTransport, describeError, type Transport, type TransportConfig, type TransportOptions } from './transport.js';
import { checkDestination, type Resolved } from './validate.js';

export interface SiemDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
  outbound: OutboundOptions;
  format: FormatOptions;
  /** Tests replace the network. */
  createTransport?: (config: TransportConfig, options: TransportOptions) => Transport;
}

/** Who acts, for the audit record. */
export interface SiemActor {
  orgId: string;
  userId: string | null;
  actor: { type: ActorType; id: string | null };
  requestId: string | null;
  sourceIp: string | null;
}

export interface DestinationInput {
  name: string;
  transport: SiemTransport;
  host?: string | null;
  port?: number | null;
  url?: string | null;
  format: SiemFormat;
  caPem?: string | null;
  clientCertPem?: string | null;
  /** undefined keeps the stored key (on change), null removes it. */
  clientKeyPem?: string | null;
  token?: string | null;
  enabled?: boolean;
  lagAlertThreshold?: number;
}

/** A validated destination's plain columns, the same for a new row and a change (the secrets are written apart). */
function storedColumns(r: Resolved) {
  return {
    name: r.name,
    transport: r.transport,
    host: r.host,
    port: r.port,
    url: r.url,
    format: r.format,
    ca_pem: r.caPem,
    client_cert_pem: r.clientCertPem,
    enabled: r.enabled,
    lag_alert_threshold: r.lagAlertThreshold,
  };
}

export interface DestinationView {
  id: string;
  name: string;
  transport: SiemTransport;
  host: string | null;
  port: number | null;
  url: string | null;
  format: SiemFormat;
  caPem: string | null;
  clientCertPem: string | null;
  hasClientKey: boolean;
  hasToken: boolean;
  enabled: boolean;
  lagAlertThreshold: number;
  createdAt: string;
  updatedAt: string;
  status: {
    cursorIdx: number;
    latestIdx: number | null;
    lag: number;
    delivered: number;
    behind: boolean;
    lastSuccessAt: string | null;
    lastError: string | null;
    lastErrorAt: string | null;
    failures: number;
    nextAttemptAt: string;
  };
}

async function writeSecrets(deps: SiemDeps, trx: Executor, orgId: string, id: string, r: Resolved): Promise<{ client_key_enc?: Uint8Array | null; token_enc?: Uint8Array | null }> {
  const owner = { type: 'organization' as const, id: orgId };
  const out: { client_key_enc?: Uint8Array | null; token_enc?: Uint8Array | null } = {};
  if (r.clientKeyPem !== undefined) out.client_key_enc = r.clientKeyPem === null ? null : await deps.keyring.encrypt(owner, { table: 'siem_destinations', column: 'client_key_enc', rowId: id }, r.clientKeyPem, trx);
  if (r.token !== undefined) out.token_enc = r.token === null ? null : await deps.keyring.encrypt(owner, { table: 'siem_destinations', column: 'token_enc', rowId: id }, r.token, trx);
  return out;
}

const auditOf = (a: SiemActor) => ({ orgId: a.orgId, actor: a.actor, requestId: a.requestId, sourceIp: a.sourceIp });
const where = (r: Pick<Resolved, 'transport' | 'host' | 'port' | 'url'>) => (r.transport === 'https' ? new URL(r.url ?? 'https://invalid').host : `${r.host}:${r.port}`);

export async function createDestination(deps: SiemDeps, actor: SiemActor, input: DestinationInput & { startFrom?: 'now' | 'beginning' }): Promise<DestinationView> {
  const r = checkDestination(
    {
      name: input.name,
      transport: input.transport,
      host: input.host ?? null,
      port: input.port ?? null,
      url: input.url ?? null,
      format: input.format,
      caPem: input.caPem ?? null,
      clientCertPem: input.clientCertPem ?? null,
      clientKeyPem: input.clientKeyPem ?? null,
      token: input.token ?? null,
      enabled: input.enabled ?? true,
      lagAlertThreshold: input.lagAlertThreshold ?? 10_000,
    },
    { hasKey: false, hasToken: false },
    deps.outbound,
  );
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    const secrets = await writeSecrets(deps, trx, actor.orgId, id, r);
    await trx
      .insertInto('siem_destinations')
      .values({
        id,
        org_id: actor.orgId,
        ...storedColumns(r),
        client_key_enc: secrets.client_key_enc ?? null,
        token_enc: secrets.token_enc ?? null,
        created_by: actor.userId,
        updated_at: new Date(),
      })
      .execute();
    // "now": from the newest sequenced entry of the organisation on; "beginning": the whole trail.
    let cursor = -1;
    if ((input.startFrom ?? 'now') === 'now') {
      const top = await trx.selectFrom('audit_log').where('org_id', '=', actor.orgId).where('idx', 'is not', null).select((eb) => eb.fn.max('idx').as('max')).executeTakeFirst();
      cursor = top?.max == null ? -1 : Number(top.max);
    }
    await trx.insertInto('siem_cursors').values({ destination_id: id, org_id: actor.orgId, cursor_idx: cursor, next_attempt_at: new Date() }).execute();
    await deps.audit.append(trx, {
      ...auditOf(actor),
      action: 'siem.destination.create',
      object: { type: 'siem_destination', id },
      result: 'success',
      details: { transport: r.transport, format: r.format, target: where(r), mutualTls: Boolean(r.clientCertPem), startFrom: input.startFrom ?? 'now' },
    });
  });
  return getDestination(deps, actor.orgId, id);
}

export async function updateDestination(deps: SiemDeps, actor: SiemActor, id: string, patch: Partial<DestinationInput>): Promise<DestinationView> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('siem_destinations').where('id', '=', id).where('org_id', '=', actor.orgId).selectAll().forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such destination.');
    const r = checkDestination(
      {
        name: patch.name ?? row.name,
        transport: patch.transport ?? row.transport,
        host: patch.host !== undefined ? patch.host : row.host,
        port: patch.port !== undefined ? patch.port : row.port,
        url: patch.url !== undefined ? patch.url : row.url,
        format: patch.format ?? row.format,
        caPem: patch.caPem !== undefined ? patch.caPem : row.ca_pem,
        clientCertPem: patch.clientCertPem !== undefined ? patch.clientCertPem : row.client_cert_pem,
        clientKeyPem: patch.clientKeyPem,
        token: patch.token,
        enabled: patch.enabled ?? row.enabled,
        lagAlertThreshold: patch.lagAlertThreshold ?? row.lag_alert_threshold,
      },
      { hasKey: row.client_key_enc !== null, hasToken: row.token_enc !== null },
      deps.outbound,
    );
    const secrets = await writeSecrets(deps, trx, actor.orgId, id, r);
    await trx
      .updateTable('siem_destinations')
      .set({
        ...storedColumns(r),
        ...secrets,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
    // A changed destination is tried at once, whatever the backoff was.
    await trx.updateTable('siem_cursors').set({ next_attempt_at: new Date(), failures: 0 }).where('destination_id', '=', id).execute();
    await deps.audit.append(trx, {
      ...auditOf(actor),
      action: 'siem.destination.update',
      object: { type: 'siem_destination', id },
      result: 'success',
      details: { changed: Object.keys(patch).sort(), transport: r.transport, format: r.format, target: where(r), enabled: r.enabled },
    });
  });
  return getDestination(deps, actor.orgId, id);
}

export async function deleteDestination(deps: SiemDeps, actor: SiemActor, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('siem_destinations').where('id', '=', id).where('org_id', '=', actor.orgId).returning(['id', 'transport']).executeTakeFirst();
    if (!gone) throw new AppError('not_found', 'No such destination.');
    await deps.audit.append(trx, { ...auditOf(actor), action: 'siem.destination.delete', object: { type: 'siem_destination', id }, result: 'success', details: { transport: gone.transport } });
  });
}

async function latestIdx(deps: SiemDeps, orgId: string): Promise<number | null> {
  const top = await deps.db.selectFrom('audit_log').where('org_id', '=', orgId).where('idx', 'is not', null).select((eb) => eb.fn.max('idx').as('max')).executeTakeFirst();
  return top?.max == null ? null : Number(top.max);
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export async function listDestinations(deps: SiemDeps, orgId: string, onlyId?: string): Promise<DestinationView[]> {
  const rows = await deps.db
    .selectFrom('siem_destinations as d')
    .innerJoin('siem_cursors as c', 'c.destination_id', 'd.id')
    .where('d.org_id', '=', orgId)
    .$if(onlyId !== undefined, (q) => q.where('d.id', '=', onlyId!))
    .select([
      'd.id', 'd.name', 'd.transport', 'd.host', 'd.port', 'd.url', 'd.format', 'd.ca_pem', 'd.client_cert_pem', 'd.client_key_enc', 'd.token_enc', 'd.enabled',
      'd.lag_alert_threshold', 'd.created_at', 'd.updated_at', 'c.cursor_idx', 'c.delivered', 'c.last_success_at', 'c.last_error', 'c.last_error_at', 'c.failures',
      'c.next_attempt_at', 'c.lag_alert_at',
    ])
    .orderBy('d.created_at')
    .execute();
  const latest = rows.length ? await latestIdx(deps, orgId) : null;
  const out: DestinationView[] = [];
  for (const r of rows) {
    // Counted now, so the screen is right even when no sender runs.
    const lag = await countLag(deps.db, orgId, Number(r.cursor_idx));
    out.push({
      id: r.id,
      name: r.name,
      transport: r.transport,
      host: r.host,
      port: r.port,
      url: r.url,
      format: r.format,
      caPem: r.ca_pem,
      clientCertPem: r.client_cert_pem,
      hasClientKey: r.client_key_enc !== null,
      hasToken: r.token_enc !== null,
      enabled: r.enabled,
      lagAlertThreshold: r.lag_alert_threshold,
      createdAt: iso(r.created_at)!,
      updatedAt: iso(r.updated_at)!,
      status: {
        cursorIdx: Number(r.cursor_idx),
        latestIdx: latest,
        lag,
        delivered: Number(r.delivered),
        behind: lag > r.lag_alert_threshold,
        lastSuccessAt: iso(r.last_success_at),
        lastError: r.last_error,
        lastErrorAt: iso(r.last_error_at),
        failures: r.failures,
        nextAttemptAt: iso(r.next_attempt_at)!,
      },
    });
  }
  return out;
}

export async function getDestination(deps: SiemDeps, orgId: string, id: string): Promise<DestinationView> {
  const [view] = await listDestinations(deps, orgId, id);
  if (!view) throw new AppError('not_found', 'No such destination.');
  return view;
}

/**
 * Sends one test message (action `siem.destination.test`, test="true" instead of a sequence number) through a new
 * connection with the destination's settings. The outcome is audited; the cursor is not touched.
 */
export async function testDestination(deps: SiemDeps, actor: SiemActor, id: string): Promise<{ ok: boolean; error: string | null }> {
  const row = await deps.db.selectFrom('siem_destinations').where('id', '=', id).where('org_id', '=', actor.orgId).selectAll().executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such destination.');
  const config = await transportConfigOf(deps.keyring, row);
  const transport = (deps.createTransport ?? createTransport)(config, { ...deps.format, outbound: deps.outbound });
  let error: string | null = null;
  try {
    await transport.deliver([
      {
        seq: null,
        prev: null,
        id: randomUUID(),
        ts: new Date(),
        orgId: actor.orgId,
        actorType: actor.actor.type,
        actorId: actor.actor.id,
        action: 'siem.destination.test',
        objectType: 'siem_destination',
        objectId: id,
        subject: null,
        result: 'success',
        requestId: actor.requestId,
        sourceIp: actor.sourceIp,
      },
    ]);
  } catch (err) {
    error = describeError(err);
  } finally {
    transport.close();
  }
  await deps.audit.record({ ...auditOf(actor), action: 'siem.destination.test', object: { type: 'siem_destination', id }, result: error ? 'failure' : 'success' });
  return { ok: error === null, error };
}
