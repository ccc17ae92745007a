/**
 * Who is calling (the principal) and what they may do. Every decision is made
 * here, on the server; the same abilities are sent to the web app so it can
 * hide what would be refused. Deny by default: a permission not granted, a
 * scope that does not cover the record, or a missing step-up all refuse.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { SCOPE_RANK, STEP_UP_PERMISSIONS, type Permission, type Scope } from './permissions.js';

export interface Principal {
  kind: 'session' | 'token';
  userId: string;
  orgId: string;
  email: string;
  name: string;
  /** Effective permissions: the widest scope any role grants (tokens: narrowed to their scopes). */
  permissions: ReadonlyMap<Permission, Scope>;
  roleKeys: readonly string[];
  teamIds: readonly string[];
  /** Session id hash, for session-bound actions. */
  sessionIdHash?: Buffer;
  /** The registered device this session proved it runs on (docs/devices.md); absent or null: none. */
  deviceId?: string | null;
  tokenId?: string;
  /** When and how a second factor was verified in this session (null: password only). */
  mfaAt: Date | null;
  mfaMethod: string | null;
  stepUpAt: Date | null;
  /** Some role of this user requires WebAuthn. */
  requirePhishingResistant: boolean;
  ip: string;
}

/**
 * The session methods that count as phishing-resistant: a passkey verified here, or an identity provider's
 * phishing-resistant assertion that the organisation chose to trust (single sign-on, decision 0204).
 */
export const PHISHING_RESISTANT_METHODS: ReadonlySet<string> = new Set(['webauthn', 'sso-phishing-resistant']);

/** Second factor verified in this session, and phishing-resistant (WebAuthn) where a role requires it. */
export function sessionHasRequiredFactor(p: Principal): boolean {
  if (!p.mfaAt) return false;
  return !p.requirePhishingResistant || (p.mfaMethod !== null && PHISHING_RESISTANT_METHODS.has(p.mfaMethod));
}

/** A record's ownership, for object-level checks. */
export interface OwnedRecord {
  orgId: string;
  teamId?: string | null;
  assigneeId?: string | null;
}

export function scopeOf(p: Principal, permission: Permission): Scope | null {
  return p.permissions.get(permission) ?? null;
}

/** May `p` use `permission` on `record` (or at all, without a record)? */
export function can(p: Principal | null, permission: Permission, record?: OwnedRecord): boolean {
  if (!p) return false;
  const scope = scopeOf(p, permission);
  if (!scope) return false;
  if (!record) return true;
  if (record.orgId !== p.orgId) return false;
  if (scope === 'org') return true;
  if (record.assigneeId && record.assigneeId === p.userId) return true;
  if (scope === 'team') return Boolean(record.teamId && p.teamIds.includes(record.teamId));
  return false;
}

/**
 * Object-level check. "Not found" and "forbidden" look the same to the caller,
 * so a record id in a URL reveals nothing about records one may not see.
 */
export function authorize(p: Principal | null, permission: Permission, record: OwnedRecord | undefined | null): asserts record is OwnedRecord {
  if (!record || !can(p, permission, record)) throw new AppError('not_found', 'No such record.', { internal: `denied ${permission}` });
}

export const DEFAULT_STEP_UP_WINDOW_MS = 10 * 60 * 1000;

/** Throws unless the principal verified a second factor within the window (sessions only; tokens cannot step up). */
export function requireFreshFactor(p: Principal, windowMs = DEFAULT_STEP_UP_WINDOW_MS, now = new Date()): void {
  const last = p.stepUpAt ?? p.mfaAt;
  if (p.kind !== 'session' || !last || now.getTime() - last.getTime() > windowMs) {
    throw new AppError('step_up_required', 'Confirm it is you with your second factor to continue.', { extra: { stepUp: true } });
  }
}

/**
 * A route guard: the caller must hold `permission` (any scope); step-up
 * permissions also need a fresh second factor. Object-level checks stay in the
 * service, where the record is known.
 */
export function requirePermission(permission: Permission, options: { stepUpWindowMs?: number } = {}) {
  return async function guard(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    // The configured window (TRUSTDESK_STEP_UP_MINUTES) unless the route sets its own.
    const p = request.principal;
    if (!p) throw new AppError('unauthenticated', 'Sign in to continue.');
    if (!scopeOf(p, permission)) throw new AppError('forbidden', 'Your role does not allow this.', { internal: `missing ${permission}` });
    if (STEP_UP_PERMISSIONS.has(permission)) requireFreshFactor(p, options.stepUpWindowMs ?? request.server.auth?.stepUpWindowMs);
  };
}

/** The abilities sent to the web app with an object (or globally), so it hides what the server would refuse. */
export function abilities<P extends Permission>(p: Principal | null, permissions: readonly P[], record?: OwnedRecord): Record<P, boolean> {
  const out = {} as Record<P, boolean>;
  for (const perm of permissions) out[perm] = can(p, perm, record);
  return out;
}

/** Merge role grants: the widest scope wins. */
export function mergeGrants(grants: Iterable<{ permission: Permission; scope: Scope }>): Map<Permission, Scope> {
  const out = new Map<Permission, Scope>();
  for (const g of grants) {
    const prev = out.get(g.permission);
    if (!prev || SCOPE_RANK[g.scope] > SCOPE_RANK[prev]) out.set(g.permission, g.scope);
  }
  return out;
}
