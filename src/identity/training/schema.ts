/** Row types of the training tables (migration 0028), added to `Database` by module augmentation. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { QuizQuestion } from './format.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type AssignmentStatus = 'assigned' | 'passed' | 'failed';
export type AssignmentSource = 'rule' | 'manual' | 'simulation';

export interface TrainingModulesTable {
  id: string;
  /** null: shipped with Trustdesk. */
  org_id: string | null;
  key: string;
  version: number;
  title: string;
  summary: string;
  audience: string[];
  minutes: number;
  pass_mark: number;
  max_attempts: number;
  source: string;
  lesson_html: string;
  quiz: JSONColumnType<QuizQuestion[], string, string>;
  created_by: string | null;
  created_at: Generated<Date>;
  /** Migration 0050: the language this row is written in; one key and version may have several. */
  language: ColumnType<string, string | undefined, string>;
}

export interface TrainingRulesTable {
  id: string;
  org_id: string;
  module_key: string;
  role_key: string | null;
  team_id: string | null;
  due_days: number;
  every_months: number | null;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface TrainingAssignmentsTable {
  id: string;
  org_id: string;
  user_id: string;
  module_id: string;
  module_key: string;
  due_at: Timestamp;
  status: Generated<AssignmentStatus>;
  source: AssignmentSource;
  rule_id: string | null;
  assigned_by: string | null;
  attempts_used: Generated<number>;
  best_score: number | null;
  assigned_at: Generated<Date>;
  completed_at: Timestamp | null;
}

export interface TrainingAttemptsTable {
  id: string;
  assignment_id: string;
  org_id: string;
  user_id: string;
  attempt: number;
  answers: JSONColumnType<number[][], string, string>;
  correct: JSONColumnType<boolean[], string, string>;
  score: number;
  passed: boolean;
  created_at: Generated<Date>;
  /** Migration 0050: the language version whose quiz graded the attempt (null: before 0050, the assigned one). */
  module_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Migration 0034: one reminder per assignment and kind (the reminder job's memory). */
export interface TrainingRemindersTable {
  assignment_id: string;
  kind: 'due_soon' | 'overdue';
  org_id: string;
  created_at: Generated<Date>;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    training_modules: TrainingModulesTable;
    training_rules: TrainingRulesTable;
    training_assignments: TrainingAssignmentsTable;
    training_attempts: TrainingAttemptsTable;
    training_reminders: TrainingRemindersTable;
  }
}
