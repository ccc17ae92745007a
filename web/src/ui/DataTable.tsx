import type { ReactNode } from 'react';
import { t } from '../i18n/index.js';

export interface Column<Row> {
  key: string;
  header: ReactNode;
  render: (row: Row) => ReactNode;
  /** Right-align numbers. */
  numeric?: boolean;
}

/** A plain, accessible table: a caption for screen readers, headers with scope. */
export function DataTable<Row>({ caption, columns, rows, rowKey, empty }: { caption: string; columns: Array<Column<Row>>; rows: Row[]; rowKey: (row: Row) => string; empty?: ReactNode }) {
  if (rows.length === 0) return <div className="table-empty">{empty ?? t('table.empty')}</div>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? 'table__num' : undefined}>{c.header}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key} className={c.numeric ? 'table__num' : undefined}>{c.render(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
