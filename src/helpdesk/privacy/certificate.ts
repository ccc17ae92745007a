/**
 * Pure: the certificate of erasure. It says what was destroyed (key ids, counts per kind), when, by whose
 * decision, the audit entries that recorded it, and what remains — never anything of the customer beyond the
 * record id, which the remaining ticket shells and audit entries keep anyway.
 */

export interface ErasureCounts {
  /** The customer and every duplicate merged into them. */
  customerRecords: number;
  dataKeys: number;
  blindIndexes: number;
  searchTokens: number;
  phishingLabels: number;
  queuedMail: number;
  outboxFiles: number;
  pendingWebhooks: number;
  quarantinedMessages: number;
  portalSessions: number;
  portalChallenges: number;
  attachmentBlobs: number;
  /** Access-export bundles removed (they were encrypted under the destroyed keys too). */
  exportBundles: number;
}

export interface ErasureCertificate {
  format: 'trustdesk-erasure-certificate/v1';
  requestId: string;
  organizationId: string;
  customerId: string;
  /** Merged duplicates erased with the customer. */
  mergedRecordIds: string[];
  receivedAt: string;
  verification: { method: 'code' | 'staff' | 'policy'; verificationId: string | null; verifiedBy: string | null; verifiedAt: string | null };
  requestedBy: string | null;
  /** The approving user; null for an operator's `trustdesk customers erase`. */
  approvedBy: string | null;
  erasedAt: string;
  destroyed: { dataKeyIds: string[]; counts: ErasureCounts };
  /** The audit trail's entries for the erasure: sequence number and entry id (verifiable with `trustdesk audit verify`). */
  auditEntries: Array<{ action: string; seq: number; id: string }>;
  remains: Array<{ kind: string; count: number; note: string }>;
  /** Steps after the commit that did not finish (files and blobs are unreadable without the destroyed keys). */
  incomplete: string[];
}

const COUNT_LABELS: Record<keyof ErasureCounts, string> = {
  customerRecords: 'customer records (the customer and merged duplicates) shredded',
  dataKeys: 'data keys destroyed',
  blindIndexes: 'blind-index values removed',
  searchTokens: 'search tokens removed',
  phishingLabels: 'phishing-model labels removed',
  queuedMail: 'queued outbound emails removed',
  outboxFiles: 'sealed outbox files removed',
  pendingWebhooks: 'undelivered webhook events removed',
  quarantinedMessages: 'quarantined messages overwritten',
  portalSessions: 'portal sessions ended',
  portalChallenges: 'portal codes and links removed',
  attachmentBlobs: 'attachment files removed',
  exportBundles: 'access-export bundles removed',
};

/** The certificate as a person reads it (plain text, one fact per line). */
export function renderCertificateText(c: ErasureCertificate): string {
  const lines = [
    'CERTIFICATE OF ERASURE',
    '',
    `Request:        ${c.requestId}`,
    `Organisation:   ${c.organizationId}`,
    `Customer:       ${c.customerId}${c.mergedRecordIds.length ? ` (with merged records ${c.mergedRecordIds.join(', ')})` : ''}`,
    `Received:       ${c.receivedAt}`,
    c.verification.method === 'policy'
      ? 'Identity:       not asked: erased under the organisation\'s retention policy (inactive customer)'
      : `Identity:       ${c.verification.method === 'code' ? `verification code ${c.verification.verificationId ?? ''}`.trim() : 'checked by staff'}${c.verification.verifiedBy ? `, confirmed by user ${c.verification.verifiedBy}` : ''}`,
    `Requested by:   ${c.requestedBy ? `user ${c.requestedBy}` : 'the operator'}`,
    `Approved by:    ${c.approvedBy ? `user ${c.approvedBy}` : 'the operator (trustdesk customers erase)'}`,
    `Erased at:      ${c.erasedAt}`,
    '',
    'Destroyed:',
    ...(Object.keys(COUNT_LABELS) as Array<keyof ErasureCounts>).map((k) => `  ${String(c.destroyed.counts[k]).padStart(6)}  ${COUNT_LABELS[k]}`),
    '',
    'Data keys destroyed (every version; nothing encrypted under them can be read again, from backups either):',
    ...(c.destroyed.dataKeyIds.length ? c.destroyed.dataKeyIds.map((id) => `  ${id}`) : ['  (none)']),
    '',
    'Audit trail entries of this erasure:',
    ...c.auditEntries.map((e) => `  seq ${e.seq}  ${e.action}  ${e.id}`),
    '',
    'What remains:',
    ...c.remains.map((r) => `  ${String(r.count).padStart(6)}  ${r.kind}: ${r.note}`),
  ];
  if (c.incomplete.length) lines.push('', 'Not finished after the commit (unreadable without the destroyed keys; remove by hand, see docs/privacy.md):', ...c.incomplete.map((s) => `  ${s}`));
  return `${lines.join('\n')}\n`;
}
