/**
 * The export reader: NDJSON, top-level arrays and API pages give the same records, in any chunking; a
 * truncated file yields every complete record and then says where it stopped; oversized and deeply nested
 * records are reported and skipped without being held; a 20,000-record file streams in bounded memory.
 */
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExportFileError, readRecords, RecordScanner, type StreamItem } from './json-stream.js';

const dir = mkdtempSync(path.join(tmpdir(), 'td-import-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scanAll(text: string, collection: string[], chunk: number, limits = { maxRecordChars: 1 << 20, maxDepth: 64 }): StreamItem[] {
  const s = new RecordScanner(collection, limits);
  const out: StreamItem[] = [];
  for (let i = 0; i < text.length; i += chunk) out.push(...s.push(text.slice(i, i + chunk)));
  s.end();
  return out;
}

const records = [{ id: 1, subject: 'a "quoted" } brace', tags: ['x', '[y]'] }, { id: 2, nested: { tickets: [1, 2] } }, { id: 3, text: 'ünïcødé \\ \u2028' }];

describe('export reader', () => {
  it('reads NDJSON, a top-level array and an API page alike, whatever the chunk size', () => {
    const shapes = {
      ndjson: records.map((r) => JSON.stringify(r)).join('\n') + '\n',
      array: JSON.stringify(records, null, 2),
      page: JSON.stringify({ count: 3, tickets: records, next_page: null, end_of_stream: true }),
      embedded: JSON.stringify({ _embedded: { tickets: records }, page: { size: 3 } }),
    };
    for (const [name, text] of Object.entries(shapes)) {
      for (const chunk of [1, 7, 4096]) {
        const collection = name === 'embedded' ? ['_embedded', 'tickets'] : ['tickets'];
        const got = scanAll(text, collection, chunk);
        expect(got.map((g) => (g.ok ? g.value : g.error)), `${name} / ${chunk}`).toEqual(records);
      }
    }
  });

  it('reports a stray value, a broken record and an oversized or too deep one, and goes on', () => {
    const big = JSON.stringify({ id: 5, body: 'x'.repeat(5000) });
    const deep = `{"id":6,"a":${'['.repeat(100)}${']'.repeat(100)}}`;
    const text = `{"tickets": [ {"id":1}, 42, "text", {"id":2, "x": tru}, ${big}, ${deep}, {"id":7} ]}`;
    const got = scanAll(text, ['tickets'], 13, { maxRecordChars: 1000, maxDepth: 64 });
    expect(got.map((g) => (g.ok ? g.value.id : g.error.replace(/ \(.*/, '')))).toEqual([1, 'is not an object', 'is not an object', 'is not valid JSON', 'is larger than 0 MiB', 'is nested too deeply', 7]);
    expect(got.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('stops a truncated file after its last complete record, naming where', async () => {
    const file = path.join(dir, 'cut.ndjson');
    const full = records.map((r) => JSON.stringify(r)).join('\n');
    writeFileSync(file, full.slice(0, full.length - 5));
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for await (const item of readRecords(file, ['tickets'])) seen.push(item.ok ? item.value.id : item.error);
    } catch (err) {
      error = err;
    }
    expect(seen).toEqual([1, 2]);
    expect(error).toBeInstanceOf(ExportFileError);
    expect((error as ExportFileError).reason).toBe('truncated');
    expect((error as Error).message).toMatch(/inside record 3.*2 complete record/);
    // Inside an API page, between records, it is truncated too.
    expect(() => scanAll('{"tickets": [{"id":1},', ['tickets'], 5)).toThrow(/truncated/);
  });

  it('refuses what is not JSON, and absurd nesting outside any record', () => {
    expect(() => scanAll('id,subject\n1,hello\n', ['tickets'], 10)).toThrow(ExportFileError);
    expect(() => scanAll(`{"a":${'['.repeat(20_000)}`, ['tickets'], 1000)).toThrow(/nests more than/);
  });

  it('streams 20,000 records without holding the file', async () => {
    const file = path.join(dir, 'big.ndjson');
    const out = createWriteStream(file);
    const pad = 'lorem ipsum '.repeat(250);
    for (let i = 0; i < 20_000; i += 500) {
      const lines = Array.from({ length: 500 }, (_, j) => `${JSON.stringify({ id: i + j, subject: `ticket ${i + j}`, comments: [{ id: (i + j) * 10, body: pad }] })}\n`);
      if (!out.write(lines.join(''))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let n = 0;
    let peak = 0;
    const stream = readRecords(file, ['tickets']);
    for await (const item of stream) {
      if (item.ok && item.value.id === n) n++;
      if (n % 2000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    expect(n).toBe(20_000);
    expect(stream.bytesRead).toBeGreaterThan(60_000_000);
    // The file is over 60 MB; a loose bound well under it shows it was never held whole.
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });
});
