/**
 * Pure: the watermark an export carries (decision 0217) — who exported it, when, and from which device. For a
 * CSV, one first line that a spreadsheet shows as a cell (quoted, starting with `#`, so it is never read as a
 * formula) and a program can parse (`key=value` pairs); for a bundle, the same facts as a manifest object.
 */
export interface Watermark {
  exporter: { id: string; name: string; email: string };
  at: Date;
  device: { id: string; name: string } | null;
}

export const WATERMARK_PREFIX = '# trustdesk-export';

/** The watermark as a manifest field (JSON bundles, ZIP manifests). */
export function watermarkManifest(w: Watermark): { exportedBy: { id: string; name: string; email: string }; exportedAt: string; device: { id: string; name: string } | null } {
  return { exportedBy: { ...w.exporter }, exportedAt: w.at.toISOString(), device: w.device ? { ...w.device } : null };
}

const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f;=]/g, ' ').trim();

/** The first line of a watermarked CSV (RFC 4180 quoted), with its CRLF. */
export function csvWatermarkLine(w: Watermark): string {
  const device = w.device ? `${w.device.id} (${clean(w.device.name)})` : 'none (unregistered)';
  const text = `${WATERMARK_PREFIX}; exported_by=${clean(w.exporter.name)} <${clean(w.exporter.email)}>; exported_at=${w.at.toISOString()}; device=${device}`;
  return `"${text.replace(/"/g, '""')}"\r\n`;
}

export function watermarkCsv(csv: string, w: Watermark): string {
  return csvWatermarkLine(w) + csv;
}

/** Reads a watermark line back (tests, the CLI): its key=value pairs, or null when the text carries none. */
export function readCsvWatermark(csv: string): Record<string, string> | null {
  const first = csv.split('\r\n', 1)[0] ?? '';
  const text = first.startsWith('"') && first.endsWith('"') ? first.slice(1, -1).replace(/""/g, '"') : first;
  if (!text.startsWith(WATERMARK_PREFIX)) return null;
  const out: Record<string, string> = {};
  for (const part of text.split(';').slice(1)) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}
