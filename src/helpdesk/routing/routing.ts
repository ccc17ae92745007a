/**
 * Assignment and team routing for new inbound tickets. Rules are ordered; the
 * first enabled rule whose conditions all hold sets the team, assignee,
 * priority and tags. Matching is a pure function over the message's mailbox,
 * sender domain and (already redacted) subject.
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import type { TicketPriority } from '../tickets/schema.js';
import './schema.js';
import { pickAssignee } from './strategies.js';
import type { RoutingRulesTable } from './schema.js';
import type { Selectable } from 'kysely';

export type RoutingRule = Selectable<RoutingRulesTable>;

export interface RoutingInput {
  mailboxId: string | null;
  senderAddress: string | null;
  subject: string;
}

export interface RoutingDecision {
  ruleId: string | null;
  teamId?: string;
  assigneeId?: string;
  priority?: TicketPriority;
  /** Hand the ticket to a team member by strategy when the rule names nobody. */
  assignStrategy?: 'round_robin' | 'least_busy';
  tags: string[];
}

const words = (text: string) => new Set(text.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u).filter(Boolean));

/** Does every condition of the rule hold? (A rule with no conditions matches everything.) */
export function ruleMatches(rule: Pick<RoutingRule, 'enabled' | 'match_mailbox_id' | 'match_sender_domain' | 'match_subject_words'>, input: RoutingInput): boolean {
  if (!rule.enabled) return false;
  if (rule.match_mailbox_id && rule.match_mailbox_id !== input.mailboxId) return false;
  if (rule.match_sender_domain) {
    const domain = input.senderAddress?.split('@').pop()?.toLowerCase() ?? '';
    // The domain itself or any subdomain of it.
    if (domain !== rule.match_sender_domain && !domain.endsWith(`.${rule.match_sender_domain}`)) return false;
  }
  if (rule.match_subject_words.length) {
    const present = words(input.subject);
    // Any of the words: rules name alternatives ("refund", "chargeback").
    if (!rule.match_subject_words.some((w) => present.has(w.toLowerCase()))) return false;
  }
  return true;
}

export function decideRouting(rules: readonly RoutingRule[], input: RoutingInput): RoutingDecision {
  const rule = [...rules].sort((a, b) => a.position - b.position || a.created_at.getTime() - b.created_at.getTime()).find((r) => ruleMatches(r, input));
  if (!rule) return { ruleId: null, tags: [] };
  return {
    ruleId: rule.id,
    ...(rule.set_team_id ? { teamId: rule.set_team_id } : {}),
    ...(rule.set_assignee_id ? { assigneeId: rule.set_assignee_id } : {}),
    ...(rule.set_priority ? { priority: rule.set_priority } : {}),
    ...(rule.assign_strategy ? { assignStrategy: rule.assign_strategy } : {}),
    tags: rule.add_tags,
  };
}

/**
 * The decision for a new ticket. When it names no person, the ticket's team (the rule's, else
 * `defaultTeamId`) picks one by the rule's strategy or its own (strategies.ts).
 */
export async function routeNewTicket(trx: Executor, orgId: string, input: RoutingInput & { defaultTeamId?: string | null }): Promise<RoutingDecision> {
  const rules = await trx.selectFrom('routing_rules').where('org_id', '=', orgId).where('enabled', '=', true).selectAll().execute();
  const decision = decideRouting(rules, input);
  const teamId = decision.teamId ?? input.defaultTeamId ?? null;
  if (!decision.assigneeId && teamId) {
    const picked = await pickAssignee(trx, orgId, teamId, decision.assignStrategy ?? null);
    if (picked) decision.assigneeId = picked;
  }
  return decision;
}
