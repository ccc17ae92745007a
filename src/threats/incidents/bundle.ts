/**
 * The evidence bundle handed to IT: the incident (metadata, evidence ids,
 * timeline kinds and details — no notes, no customer data), and the audit
 * entries about it and linked to it, each with its RFC 6962 inclusion proof
 * against one signed checkpoint. Written as the folder `trustdesk audit verify
 * --bundle DIR` checks offline (proofs.jsonl, checkpoints.jsonl, audit.vkey,
 * expected.json), zipped for a download or written by `trustdesk incidents export`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { inclusionProofFromStore } from '../../protection/audit/audit-trail.service.js';
import { provenEntryLine } from '../../protection/audit/trail-io.js';
import { canonicalEntry, type AuditEntryColumns, type AuditEvent } from '../../protection/audit/entry.js';
import { loadIncident, type IncidentDeps } from './incidents.service.js';
import { watermarkManifest, type Watermark } from '../../identity/devices/watermark.js';

/** Who exports: a reader through the API, or the operator at the command line (actor `system`). */
export interface Exporter {
  orgId: string;
  actor: AuditEvent['actor'];
  requestId?: string | null;
  sourceIp?: string | null;
  /** Who exported it, when and from which device (decision 0217); absent from the command line. */
  watermark?: Watermark | undefined;
}

export const BUNDLE_FORMAT = 'trustdesk-incident-bundle/1';

export interface BundleFiles {
  /** File name → contents, all inside one folder. */
  files: Record<string, string>;
  folder: string;
  entries: number;
  pending: number;
}

const README = [
  'Trustdesk security incident evidence bundle.',
  'incident.json       the incident: type, severity, status, times, evidence ids, timeline (no notes, no customer data)',
  'proofs.jsonl        the audit entries about the incident and linked to it: each line holds the entry in RFC 8785',
  '                    canonical JSON, its leaf hash SHA-256(0x00 || entry) and its RFC 6962 inclusion proof',
  'checkpoints.jsonl   the C2SP signed-note checkpoint the proofs lead to, signed with the Ed25519 key in audit.vkey',
  'expected.json       the tree indexes of the entries this bundle must carry',
  'Check it offline with: trustdesk audit verify --bundle <this folder> [--vkey <pinned key>]',
  '',
].join('\n');

/** Builds the bundle's files. Entries not yet in a signed checkpoint are counted as pending, not included. */
export async function buildEvidenceBundle(deps: IncidentDeps & { database: DatabaseHandle }, who: Exporter, id: string): Promise<BundleFiles> {
  const orgId = who.orgId;
  const view = await loadIncident(deps, deps.db, orgId, id);
  // Sequence what is pending so the latest changes are in the signed tree.
  await deps.audit.flush();
  const cp = await deps.db.selectFrom('audit_checkpoints').orderBy('tree_size', 'desc').limit(1).select(['tree_size', 'note']).executeTakeFirst();
  if (!cp) throw new AppError('conflict', 'The audit trail has no signed checkpoint yet; try again in a moment.');
  const size = Number(cp.tree_size);
  const linked = view.evidence.filter((e) => e.kind === 'audit_entry').map((e) => Number(e.ref));
  const rows = (await deps.db
    .selectFrom('audit_log')
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb.and([eb('object_type', '=', 'incident'), eb('object_id', '=', id)]), ...(linked.length ? [eb('idx', 'in', linked)] : [])]))
    .select(['idx', 'id', 'ts', 'org_id', 'actor_type', 'actor_id', 'action', 'object_type', 'object_id', 'subject', 'purpose', 'result', 'request_id', 'source_ip', 'details', 'leaf_hash'])
    .orderBy(sql`idx NULLS LAST`)
    .execute()) as Array<AuditEntryColumns & { idx: number | string | null; leaf_hash: Uint8Array | null }>;
  const proofs: string[] = [];
  const included: number[] = [];
  let pending = 0;
  for (const r of rows) {
    if (r.idx === null || Number(r.idx) >= size) {
      pending += 1;
      continue;
    }
    const idx = Number(r.idx);
    const { leafHash, proof } = await inclusionProofFromStore(deps.database, idx, size);
    const { idx: _idx, leaf_hash: _leaf, ...columns } = r;
    proofs.push(provenEntryLine(idx, leafHash, size, proof, canonicalEntry({ ...columns, ts: new Date(columns.ts) })));
    included.push(idx);
  }
  const incident = {
    format: BUNDLE_FORMAT,
    exportedAt: who.watermark?.at.toISOString() ?? new Date().toISOString(),
    ...(who.watermark ? { watermark: watermarkManifest(who.watermark) } : {}),
    incident: {
      id: view.id, number: view.number, title: view.title, type: view.type, severity: view.severity, status: view.status,
      ownerId: view.ownerId, sourceKind: view.sourceKind, sourceId: view.sourceId,
      createdAt: view.createdAt, updatedAt: view.updatedAt, resolvedAt: view.resolvedAt, handedOffAt: view.handedOffAt,
      breach: view.breach ? { awareAt: view.breach.awareAt, deadlineAt: view.breach.deadlineAt, authorityNotifiedAt: view.breach.authorityNotifiedAt, subjectsNotifiedAt: view.breach.subjectsNotifiedAt, notifySubjects: view.breach.notifySubjects, computed: view.breach.computed } : null,
    },
    evidence: view.evidence.map((e) => ({ kind: e.kind, ref: e.ref, addedAt: e.addedAt })),
    timeline: view.timeline.map((t) => ({ kind: t.kind, at: t.at, actorId: t.actorId, detail: t.detail })),
    audit: { treeSize: size, entries: included, pendingEntries: pending, vkey: deps.audit.vkey },
  };
  const folder = `incident-${view.number}`;
  const files = {
    'incident.json': `${JSON.stringify(incident, null, 2)}\n`,
    'proofs.jsonl': proofs.map((l) => `${l}\n`).join(''),
    'checkpoints.jsonl': `${JSON.stringify({ tree_size: size, note: cp.note })}\n`,
    'audit.vkey': `${deps.audit.vkey}\n`,
    'expected.json': `${JSON.stringify(included)}\n`,
    'README.txt': README,
  };
  await deps.audit.record({ orgId, actor: who.actor, requestId: who.requestId ?? null, sourceIp: who.sourceIp ?? null, action: 'incident.export', object: { type: 'incident', id }, result: 'success', details: { entries: included.length, pending, treeSize: size } });
  return { files, folder, entries: included.length, pending };
}

/** The bundle as one zip whose single folder is the bundle. */
export function zipBundle(bundle: BundleFiles): Uint8Array {
  const tree: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(bundle.files)) tree[`${bundle.folder}/${name}`] = strToU8(text);
  return zipSync(tree, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') });
}

/** Writes the bundle's files into `dir` (created if needed): the folder `trustdesk audit verify --bundle` checks. */
export function writeBundle(bundle: BundleFiles, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(bundle.files)) writeFileSync(path.join(dir, name), text);
}
