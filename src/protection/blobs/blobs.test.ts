import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectAttachment, safeFilename, sniffContentType } from './sniff.js';
import { isBlobKey, LocalBlobStore } from './store.js';

describe('sniffing and danger', () => {
  it('trusts bytes over the declared type', () => {
    expect(sniffContentType(Buffer.from('%PDF-1.7\n'))).toBe('application/pdf');
    const exe = inspectAttachment('invoice.pdf', 'application/pdf', Buffer.from('MZ\x90\x00rest'));
    expect(exe).toMatchObject({ type: 'application/x-msdownload', dangerous: true });
    expect(exe.reasons).toContain('type_mismatch');
    expect(inspectAttachment('invoice.pdf.exe', 'application/octet-stream', Buffer.from('MZ')).reasons).toContain('double_extension');
    expect(inspectAttachment('report.docm', 'application/octet-stream', Buffer.from('PK\x03\x04 word/ vbaProject.bin')).dangerous).toBe(true);
    expect(inspectAttachment('page.html', 'text/plain', Buffer.from('<html><script>x</script>')).dangerous).toBe(true);
    expect(inspectAttachment('notes.txt', 'text/plain', Buffer.from('hello')).dangerous).toBe(false);
  });
  it('makes names path-safe', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('..\\..\\win.ini')).toBe('win.ini');
    expect(safeFilename('\u0000\r\n')).toBe('attachment');
    fc.assert(fc.property(fc.string(), (s) => {
      const n = safeFilename(s);
      expect(n).not.toMatch(/[/\\\r\n\u0000]/);
      expect(n.startsWith('.')).toBe(false);
    }));
  });
});

describe('local blob store', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'blobs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('writes atomically under generated keys and refuses foreign keys', async () => {
    const store = new LocalBlobStore(dir);
    const key = await store.put(Buffer.from('sealed bytes'));
    expect(isBlobKey(key)).toBe(true);
    expect(Buffer.from(await store.get(key)).toString()).toBe('sealed bytes');
    expect(readdirSync(path.join(dir, key.slice(0, 2))).some((f) => f.endsWith('.tmp'))).toBe(false);
    await expect(store.get('../../etc/passwd')).rejects.toThrow('invalid blob key');
    await store.delete(key);
    await expect(store.get(key)).rejects.toThrow();
  });
});
