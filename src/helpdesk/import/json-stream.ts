/**
 * Records out of an export file of any size, one at a time, in bounded memory.
 * Three shapes are read the same way:
 *  - NDJSON / JSON Lines: one object per line (Zendesk's JSON data export);
 *  - a top-level array of objects;
 *  - an API page: an object holding the records in an array under a known key
 *    (`{"tickets": […]}`, FreeScout's `{"_embedded": {"conversations": […]}}`).
 * A character scanner finds where each record starts and ends; only that
 * record's text is kept and handed to JSON.parse. A record past the size or
 * nesting limit is reported and skipped without being held; a file that ends
 * inside a record stops the reader with `truncated`, after every complete
 * record before it has been consumed.
 */
import { createReadStream } from 'node:fs';

export interface StreamLimits {
  /** Characters of one record's JSON text. */
  maxRecordChars: number;
  /** Nesting inside one record. */
  maxDepth: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxRecordChars: 32 * 1024 * 1024, maxDepth: 64 };

/** Past this nesting the file is refused outright: the scanner's own stack stays small. */
const MAX_FILE_DEPTH = 10_000;

export type StreamItem =
  | { ok: true; index: number; value: Record<string, unknown> }
  | { ok: false; index: number; error: string };

export class ExportFileError extends Error {
  constructor(
    readonly reason: 'truncated' | 'too_deep' | 'not_json',
    message: string,
    /** Records read completely before the problem. */
    readonly recordsBefore: number,
  ) {
    super(message);
  }
}

interface Level {
  kind: '{' | '[';
  expectKey: boolean;
  key: string | null;
}

/**
 * Scans chunks of text. `collection` is the key path of the records' array in
 * an API page (['tickets'], ['_embedded', 'conversations']).
 */
export class RecordScanner {
  private stack: Level[] = [];
  private inString = false;
  private escape = false;
  private keyBuf: string | null = null;
  /** Stack length at which records are the array's elements (wrapper mode), or 0. */
  private elementDepth = 0;
  /** Capturing: parts of the current record's text. */
  private parts: string[] = [];
  private capturing = false;
  private captureStart = -1;
  private captured = 0;
  /** The record at hand is being skipped (too large or too deep): scanned, not kept. */
  private skipReason: string | null = null;
  /** The current top-level value is a record candidate (NDJSON line / single object). */
  private topIsRecord = false;
  private elementOpen = false;
  private index = 0;

  constructor(
    private readonly collection: readonly string[],
    private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS,
  ) {}

  get recordsSeen(): number {
    return this.index;
  }

  /** Feeds one chunk; returns the records completed in it. */
  push(chunk: string): StreamItem[] {
    const out: StreamItem[] = [];
    if (this.capturing) this.captureStart = 0;
    // Next quote and backslash in the chunk: text inside strings is skipped in one step, not char by char.
    let nextQuote = -1;
    let nextSlash = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          if (this.keyBuf !== null && this.keyBuf.length < 256) this.keyBuf += chunk[i];
          continue;
        }
        if (nextQuote < i) nextQuote = indexOrEnd(chunk, '"', i);
        if (nextSlash < i) nextSlash = indexOrEnd(chunk, '\\', i);
        const stop = Math.min(nextQuote, nextSlash);
        if (this.keyBuf !== null && this.keyBuf.length < 256) this.keyBuf += chunk.slice(i, Math.min(stop, i + 256));
        i = stop;
        if (i >= chunk.length) break;
        if (i === nextSlash) this.escape = true;
        else {
          this.inString = false;
          if (this.keyBuf !== null) {
            const top = this.stack[this.stack.length - 1];
            if (top) top.key = this.keyBuf;
            this.keyBuf = null;
          }
        }
        continue;
      }
      const c = chunk.charCodeAt(i);
      // Whitespace between values.
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      const depth = this.stack.length;
      if (depth === 0) {
        if (c !== 123 /* { */ && c !== 91 /* [ */) {
          if (c === 0xfeff && this.index === 0) continue;
          throw new ExportFileError('not_json', `Not JSON or NDJSON: unexpected "${chunk[i]}" between records (after record ${this.index}).`, this.index);
        }
        this.open(c === 123 ? '{' : '[');
        if (c === 91) this.elementDepth = 1;
        else {
          this.topIsRecord = true;
          this.beginCapture(chunk, i);
        }
        continue;
      }
      const top = this.stack[depth - 1] as Level;
      // An element of the records' array begins.
      if (this.elementDepth === depth && top.kind === '[' && !this.capturing && !this.skipReason) {
        if (c === 44 /* , */) {
          this.elementOpen = false;
          continue;
        }
        if (c === 93 /* ] */) {
          this.close();
          if (this.stack.length < this.elementDepth) this.elementDepth = 0;
          continue;
        }
        if (c === 123) {
          this.elementOpen = true;
          this.open('{');
          this.beginCapture(chunk, i);
          continue;
        }
        if (!this.elementOpen) {
          this.elementOpen = true;
          out.push({ ok: false, index: this.index++, error: 'is not an object' });
        }
        // Fall through: the stray value is scanned (strings, nested arrays) but not kept.
      }
      if (c === 34) {
        this.inString = true;
        if (top.kind === '{' && top.expectKey) {
          top.expectKey = false;
          // Only shallow keys matter (finding the records' array); deeper ones are not collected.
          this.keyBuf = depth <= this.collection.length ? '' : null;
        }
        continue;
      }
      if (c === 123 || c === 91) {
        if (c === 91 && this.topIsRecord && this.isCollectionPath()) {
          // The top-level object is an API page, not a record: its array holds the records.
          this.topIsRecord = false;
          this.capturing = false;
          this.parts = [];
          this.skipReason = null;
          this.open('[');
          this.elementDepth = this.stack.length;
          this.elementOpen = false;
          continue;
        }
        this.open(c === 123 ? '{' : '[');
        if (this.capturing && this.stack.length - this.recordBase() > this.limits.maxDepth) this.skip('is nested too deeply');
        continue;
      }
      if (c === 125 /* } */ || c === 93 /* ] */) {
        this.close();
        const recordEnded = (this.capturing || this.skipReason) && this.stack.length === this.recordBase() - 1;
        if (recordEnded) out.push(this.endRecord(chunk, i));
        else if (this.stack.length === 0) this.topIsRecord = false;
        if (this.stack.length < this.elementDepth) this.elementDepth = 0;
        continue;
      }
      if (c === 44 && top.kind === '{') top.expectKey = true;
    }
    if (this.capturing) this.keep(chunk.slice(this.captureStart));
    return out;
  }

  /** Call at the end of the input: throws if it ended inside a record or a page. */
  end(): void {
    if (this.stack.length > 0 || this.inString) {
      const where = this.capturing || this.skipReason ? `inside record ${this.index + 1}` : 'before the end of its outer array or object';
      throw new ExportFileError('truncated', `The file ends ${where}: it looks truncated. The ${this.index} complete record(s) before it were read.`, this.index);
    }
  }

  private recordBase(): number {
    // Records start at stack length 1 (top-level) or elementDepth + 1.
    return this.topIsRecord ? 1 : this.elementDepth + 1;
  }

  private isCollectionPath(): boolean {
    if (this.stack.length !== this.collection.length) return false;
    return this.collection.every((k, level) => {
      const l = this.stack[level] as Level;
      return l.kind === '{' && l.key === k;
    });
  }

  private open(kind: '{' | '['): void {
    if (this.stack.length >= MAX_FILE_DEPTH) throw new ExportFileError('too_deep', `The file nests more than ${MAX_FILE_DEPTH} levels deep (in record ${this.index + 1}); refused.`, this.index);
    this.stack.push({ kind, expectKey: kind === '{', key: null });
  }

  private close(): void {
    if (this.stack.pop() === undefined) throw new ExportFileError('not_json', `Not JSON: a closing bracket without an opening one (after record ${this.index}).`, this.index);
  }

  private beginCapture(chunk: string, i: number): void {
    this.capturing = true;
    this.skipReason = null;
    this.captureStart = i;
    this.captured = 0;
    this.parts = [];
  }

  private keep(text: string): void {
    if (!this.capturing) return;
    this.captured += text.length;
    if (this.captured > this.limits.maxRecordChars) {
      this.skip(`is larger than ${Math.round(this.limits.maxRecordChars / 1024 / 1024)} MiB`);
      return;
    }
    this.parts.push(text);
  }

  private skip(reason: string): void {
    this.capturing = false;
    this.parts = [];
    this.skipReason ??= reason;
  }

  private endRecord(chunk: string, i: number): StreamItem {
    const index = this.index++;
    if (this.topIsRecord) this.topIsRecord = false;
    if (this.skipReason) {
      const error = this.skipReason;
      this.skipReason = null;
      return { ok: false, index, error };
    }
    this.keep(chunk.slice(this.captureStart, i + 1));
    this.capturing = false;
    const text = this.parts.join('');
    this.parts = [];
    if (this.skipReason) {
      const error = this.skipReason as string;
      this.skipReason = null;
      return { ok: false, index, error };
    }
    try {
      const value: unknown = JSON.parse(text);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, index, error: 'is not an object' };
      return { ok: true, index, value: value as Record<string, unknown> };
    } catch (err) {
      return { ok: false, index, error: `is not valid JSON (${(err as Error).message.slice(0, 120)})` };
    }
  }
}

function indexOrEnd(text: string, needle: string, from: number): number {
  const i = text.indexOf(needle, from);
  return i === -1 ? text.length : i;
}

export interface RecordStream {
  /** Bytes of the file read so far (for progress). */
  readonly bytesRead: number;
  [Symbol.asyncIterator](): AsyncIterator<StreamItem>;
}

/** Streams the records of a file; throws ExportFileError after the last complete record when the file is damaged. */
export function readRecords(file: string, collection: readonly string[], limits: StreamLimits = DEFAULT_STREAM_LIMITS): RecordStream {
  const state = { bytesRead: 0 };
  return {
    get bytesRead() {
      return state.bytesRead;
    },
    async *[Symbol.asyncIterator]() {
      const scanner = new RecordScanner(collection, limits);
      const decoder = new TextDecoder('utf-8');
      const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
      try {
        for await (const buf of stream as AsyncIterable<Buffer>) {
          state.bytesRead += buf.length;
          for (const item of scanner.push(decoder.decode(buf, { stream: true }))) yield item;
        }
        for (const item of scanner.push(decoder.decode())) yield item;
        scanner.end();
      } finally {
        stream.destroy();
      }
    },
  };
}
