import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, neutralizeCell, toCsv } from './export.js';

/** A strict RFC 4180 reader, to check what we write round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quote');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} in unquoted field`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') { i++; continue; }
    if (text.startsWith('\r\n', i)) { rows.push(row); row = []; i += 2; continue; }
    throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  return rows;
}

describe('CSV export', () => {
  it('neutralises cells a spreadsheet would evaluate', () => {
    for (const v of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\r=x']) expect(neutralizeCell(v)).toBe(`'${v}`);
    for (const v of ['plain', "'already", ' =spaced', '', 'a=b']) expect(neutralizeCell(v)).toBe(v);
  });

  it('quotes only what RFC 4180 requires, doubling quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(toCsv([['a', 'b'], ['1', '2']])).toBe('a,b\r\n1,2\r\n');
  });

  it('round-trips any cells through a strict reader, and no cell starts a formula', () => {
    const cell = fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', "'", 'a', 'é', ' ', '1'), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), (rows) => {
        const parsed = parseCsv(toCsv(rows));
        expect(parsed).toEqual(rows.map((r) => r.map(neutralizeCell)));
        for (const r of parsed) for (const c of r) expect(/^[=+\-@\t\r]/.test(c)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
