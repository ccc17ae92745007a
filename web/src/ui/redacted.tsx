/**
 * Removed values as readable markers (redaction-markers.ts), styled apart from
 * what was written.
 */
import { Fragment, type ReactNode } from 'react';
import { splitRedactions } from './redaction-markers.js';

/** Splits text at redaction tokens; `render` turns each plain piece into nodes (links, say). */
export function withRedactionMarkers(text: string, render: (piece: string) => ReactNode = (p) => p): ReactNode[] {
  return splitRedactions(text).map((p, i) =>
    'text' in p ? <Fragment key={i}>{render(p.text)}</Fragment> : <span key={i} className="redacted-marker">{p.marker}</span>,
  );
}

/** Plain text with markers for removed values. */
export function RedactedText({ text }: { text: string }) {
  return <>{withRedactionMarkers(text)}</>;
}
