/**
 * Row types of migration 0016 (taking and sharing work), added to `Database` by module augmentation:
 * saved views, each team's assignment strategy and round-robin pointer, and a person's "away" flag.
 */
import type { ColumnType, Generated } from 'kysely';
import type { AssignmentStrategy, ViewColumn, ViewFilters, ViewSort } from '../../platform/http/schemas/work.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface SavedViewsTable {
  id: string;
  org_id: string;
  owner_id: string;
  team_id: string | null;
  name: string;
  filters: ColumnType<ViewFilters, string, string>;
  columns: ColumnType<ViewColumn[], ViewColumn[], ViewColumn[]>;
  sort: ViewSort;
  sort_dir: 'asc' | 'desc';
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TeamAssignmentColumns {
  assignment_strategy: Generated<AssignmentStrategy>;
  round_robin_last_user_id: string | null;
}

export interface UserAwayColumn {
  away: Generated<boolean>;
}

declare module '../../platform/db/schema.js' {
  interface TeamsTable extends TeamAssignmentColumns {}
  interface UsersTable extends UserAwayColumn {}
  interface Database {
    saved_views: SavedViewsTable;
  }
}
