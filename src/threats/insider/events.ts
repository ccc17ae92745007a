/**
 * What the insider-threat rules read: a sequenced audit entry, reduced to the
 * fields they use, and how each real audit action maps onto the rules'
 * notions (a customer-data read, a ticket context, an export, a refusal, a
 * sensitive action). Pure.
 */
import { permissionsForAction } from '../../identity/access-reviews/usage.js';

export interface InsiderEvent {
  idx: number;
  id: string;
  /** Milliseconds since the epoch. */
  ts: number;
  orgId: string;
  actorType: string;
  actorId: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  /** The keyed hash of the customer the entry touches (never the customer's id). */
  subject: string | null;
  result: string;
  sourceIp: string | null;
  details: Record<string, unknown> | null;
}

/** A reveal or a full read of a customer record: what the volume rule counts. */
export function isCustomerDataRead(action: string): 'reveal' | 'read' | null {
  if (action === 'customer.field.reveal') return 'reveal';
  if (action === 'customer.read') return 'read';
  return null;
}

/** Reads of one named customer the unrelated-customer rule judges (masked reads included). */
export function isCustomerLookup(action: string): boolean {
  return action === 'customer.field.reveal' || action === 'customer.read' || action === 'customer.read_masked';
}

/**
 * Work on a ticket or chat relates its customer to the person and their teams.
 * A search is not a relation: searching is how one finds a customer one has no
 * reason to read.
 */
export function isTicketContext(action: string): boolean {
  if (action === 'ticket.search') return false;
  return action.startsWith('ticket.') || action.startsWith('chat.') || action === 'secure_message.send' || action.startsWith('customer.verify');
}

/** How many records an event takes out of Trustdesk (downloads and exports), 0 for anything else. */
export function exportedRecords(e: InsiderEvent): number {
  if (e.result !== 'success') return 0;
  if (e.action === 'ticket.attachment.download' || e.action === 'portal.attachment.download') return 1;
  if (e.action.endsWith('.export')) {
    const d = e.details ?? {};
    const n = typeof d.items === 'number' ? d.items : typeof d.count === 'number' ? d.count : typeof d.rows === 'number' ? d.rows : 1;
    return Math.max(1, Math.min(1_000_000, Math.floor(n)));
  }
  return 0;
}

/** Actions sensitive enough on their own to be flagged right after a sign-in from somewhere new. */
const SENSITIVE_EXACT = new Set([
  'user.roles_change', 'role.create', 'role.update', 'token.create', 'mfa.remove', 'mfa.reset', 'mfa.recovery_codes.regenerate',
  'customer.erase', 'customer.export', 'webhook.create', 'webhook.update', 'session.revoke_all',
]);
export function isSensitiveAction(action: string): boolean {
  return SENSITIVE_EXACT.has(action) || action.startsWith('policy.') || action.startsWith('keys.') || action.endsWith('.export');
}

/** The user an event is about for the refusal rule: the actor, or the account a failed sign-in named. */
export function refusedUser(e: InsiderEvent): string | null {
  if (e.result !== 'denied' && e.result !== 'failure') return null;
  if (e.actorType === 'user' && e.actorId) return e.actorId;
  if (e.action === 'auth.signin' && e.objectType === 'user' && e.objectId) return e.objectId;
  return null;
}

/** The network part of an address: IPv4 /24, IPv6 /48. */
export function networkOf(ip: string | null): string | null {
  if (!ip) return null;
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.\d+$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(':')) return `${ip.split(':').slice(0, 3).join(':')}::/48`;
  return ip;
}

const permissionCache = new Map<string, readonly string[]>();
/** The permissions an action exercises (access reviews' table), cached per action. */
export function permissionsOf(action: string): readonly string[] {
  let p = permissionCache.get(action);
  if (!p) {
    p = permissionsForAction(action);
    if (permissionCache.size < 5000) permissionCache.set(action, p);
  }
  return p;
}
