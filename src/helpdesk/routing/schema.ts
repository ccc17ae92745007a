/** Row type of routing_rules (migration 0009), added to `Database` by module augmentation. */
import type { ColumnType, Generated } from 'kysely';
import type { TicketPriority } from '../tickets/schema.js';

type TextArray = ColumnType<string[], string[] | undefined, string[]>;

export interface RoutingRulesTable {
  id: string;
  org_id: string;
  name: string;
  position: Generated<number>;
  enabled: Generated<boolean>;
  match_mailbox_id: string | null;
  match_sender_domain: string | null;
  match_subject_words: TextArray;
  set_team_id: string | null;
  set_assignee_id: string | null;
  set_priority: TicketPriority | null;
  add_tags: TextArray;
  /** Migration 0016: hand the ticket to a team member by strategy when the rule names nobody. */
  assign_strategy: ColumnType<'round_robin' | 'least_busy' | null, 'round_robin' | 'least_busy' | null | undefined, 'round_robin' | 'least_busy' | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    routing_rules: RoutingRulesTable;
  }
}
