/** Row types of the knowledge-base tables (migration 0020), added to `Database` by module augmentation. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type ArticleVisibility = 'internal' | 'public';

export interface KbCategoriesTable {
  id: string;
  org_id: string;
  name: string;
  position: Generated<number>;
  created_at: Generated<Date>;
}

export interface KbArticlesTable {
  id: string;
  org_id: string;
  category_id: string | null;
  slug: string;
  visibility: ArticleVisibility;
  title: string;
  body_html: string;
  body_text: string;
  has_draft: Generated<boolean>;
  published_version_id: string | null;
  created_by: string | null;
  updated_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  deleted_at: Date | null;
}

export interface KbArticleVersionsTable {
  id: string;
  article_id: string;
  org_id: string;
  version: number;
  title: string;
  body_html: string;
  body_text: string;
  published_by: string | null;
  published_at: Generated<Date>;
  /** Generated from title and text; never written. */
  search: ColumnType<string, never, never>;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    kb_categories: KbCategoriesTable;
    kb_articles: KbArticlesTable;
    kb_article_versions: KbArticleVersionsTable;
  }
}
