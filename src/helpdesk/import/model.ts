/**
 * What both export formats are turned into before anything is stored, and the
 * checks that turn a source record of the wrong shape into a clear message
 * naming the field (never a stack trace, never a half-read ticket).
 */
import type { TicketChannel, TicketPriority, TicketStatus } from '../tickets/schema.js';
import { statSync } from 'node:fs';
import { readRecords, type StreamLimits } from './json-stream.js';
import type { ImportSource } from './schema.js';

export interface SourcePerson {
  externalId: string;
  name: string;
  email: string | null;
  /** An agent or administrator of the old helpdesk (matched to staff), not a customer. */
  staff: boolean;
  /** The customer's company in the old helpdesk (kept, encrypted, as a custom field of a new customer). */
  organization: string | null;
}

export interface SourceAttachment {
  externalId: string;
  fileName: string;
  contentType: string;
  /** Declared size, when the export gives one. */
  size: number | null;
  /** Contents carried in the export itself (base64). Otherwise read from attachments/<id>/<file name>. */
  base64: string | null;
}

export interface SourceComment {
  externalId: string;
  /** Who wrote it: an id into the people files, or the person embedded in the record. */
  author: SourcePerson | null;
  public: boolean;
  /** Plain text, when the export has it. */
  text: string | null;
  /** HTML, turned to text on the way in. */
  html: string | null;
  createdAt: Date | null;
  attachments: SourceAttachment[];
}

export interface SourceTicket {
  externalId: string;
  /** The number people knew it by in the old helpdesk (kept as a tag). */
  number: string;
  subject: string;
  status: TicketStatus;
  priority: TicketPriority;
  channel: TicketChannel;
  createdAt: Date | null;
  updatedAt: Date | null;
  requester: SourcePerson | null;
  assignee: SourcePerson | null;
  /** Address of the mailbox it came in through (FreeScout), matched to a Trustdesk mailbox. */
  mailboxAddress: string | null;
  tags: string[];
  comments: SourceComment[];
}

export type TicketItem = { ok: true; index: number; ticket: SourceTicket } | { ok: true; index: number; skip: string; externalId: string } | { ok: false; index: number; error: string };

export interface ExportSource {
  source: ImportSource;
  /** The export folder (attachments/ lives here). */
  dir: string;
  /** Bytes of the tickets file, and how many have been read (progress). */
  totalBytes: number;
  readonly bytesRead: number;
  tickets(): AsyncIterable<TicketItem>;
}

/** A field of the wrong type: the message names the field. */
export class RecordError extends Error {}

/**
 * An export whose tickets are the records at `collection` of `file`, each turned into a ticket by `toTicket`:
 * a record of the wrong shape (RecordError) becomes a problem for that record, and the run goes on.
 */
export function recordExport(
  source: ImportSource,
  dir: string,
  file: string,
  collection: readonly string[],
  limits: StreamLimits | undefined,
  toTicket: (index: number, record: Rec) => TicketItem | Promise<TicketItem>,
): ExportSource {
  const stream = readRecords(file, collection, limits);
  return {
    source,
    dir,
    totalBytes: statSync(file).size,
    get bytesRead() {
      return stream.bytesRead;
    },
    async *tickets(): AsyncIterable<TicketItem> {
      for await (const item of stream) {
        if (!item.ok) {
          yield item;
          continue;
        }
        try {
          yield await toTicket(item.index, item.value);
        } catch (err) {
          if (!(err instanceof RecordError)) throw err;
          yield { ok: false, index: item.index, error: err.message };
        }
      }
    },
  };
}

export type Rec = Record<string, unknown>;

export function isRecord(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Source ids are numbers or short tokens; anything else is refused (they are stored in clear in import_items). */
export function externalId(v: unknown, field: string): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v : null;
  if (s === null || !/^[A-Za-z0-9_.:-]{1,64}$/.test(s)) throw new RecordError(`${field} must be a number or a short id`);
  return s;
}

export function optionalId(v: unknown, field: string): string | null {
  return v === null || v === undefined ? null : externalId(v, field);
}

export function str(v: unknown, field: string, max = 1_000_000): string {
  if (typeof v !== 'string') throw new RecordError(`${field} must be text`);
  return v.length > max ? v.slice(0, max) : v;
}

export function optionalStr(v: unknown, field: string, max = 1_000_000): string | null {
  return v === null || v === undefined ? null : str(v, field, max);
}

export function bool(v: unknown, field: string, fallback: boolean): boolean {
  if (v === null || v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new RecordError(`${field} must be true or false`);
  return v;
}

export function optionalDate(v: unknown, field: string): Date | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v !== 'string' || v.length > 64) throw new RecordError(`${field} must be a date`);
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999) throw new RecordError(`${field} must be a date`);
  return d;
}

export function optionalSize(v: unknown, field: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new RecordError(`${field} must be a whole number of bytes`);
  return v;
}

export function array(v: unknown, field: string, max = 10_000): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new RecordError(`${field} must be a list`);
  if (v.length > max) throw new RecordError(`${field} has more than ${max} entries`);
  return v;
}

export function record(v: unknown, field: string): Rec {
  if (!isRecord(v)) throw new RecordError(`${field} must be an object`);
  return v;
}

/** An email address as the export gives it, or null when absent or not an address. */
export function optionalEmail(v: unknown, field: string): string | null {
  const s = optionalStr(v, field, 320)?.trim() ?? null;
  if (!s) return null;
  return /^[^\s@<>]+@[^\s@<>]+$/.test(s) ? s : null;
}

export function tagList(v: unknown, field: string): string[] {
  return array(v, field, 1000).map((t, i) => {
    if (typeof t === 'string') return t.slice(0, 64);
    if (isRecord(t) && typeof t.name === 'string') return t.name.slice(0, 64);
    throw new RecordError(`${field}[${i}] must be a tag name`);
  });
}

/** Newest-first exports (FreeScout) and equal times keep a stable order: by time, then by id. */
export function chronological(comments: SourceComment[]): SourceComment[] {
  return comments
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (a.c.createdAt?.getTime() ?? 0) - (b.c.createdAt?.getTime() ?? 0) || a.i - b.i)
    .map((x) => x.c);
}
