/**
 * Row types of migration 0025_phishing_learning.sql, added to the shared `Database` interface by
 * module augmentation. Import this file for its side effect wherever these tables are queried.
 */
import type { ColumnType } from 'kysely';
import '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** Where a label came from. `simulation` exists so it can be refused: awareness simulations never teach the model. */
export type LabelSource = 'report' | 'confirm' | 'not_phishing' | 'release' | 'delete' | 'reply' | 'simulation';
export type StoredLabelSource = Exclude<LabelSource, 'simulation'>;

export interface PhishingModelsTable {
  org_id: string;
  /** LearnedModel.toJSON(), encrypted under the organisation's key (phishing_models/model_enc, row = org id). */
  model_enc: Uint8Array | null;
  updated_at: Timestamp;
  reset_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  reset_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PhishingLabelsTable {
  org_id: string;
  message_ref: string;
  label: 'phish' | 'ham';
  source: StoredLabelSource;
  labeller_id: string | null;
  /** The message's token keys (keyed hashes), so a relabel unlearns without reading the message again. */
  token_keys: string[];
  learned: boolean;
  created_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    phishing_models: PhishingModelsTable;
    phishing_labels: PhishingLabelsTable;
  }
}
