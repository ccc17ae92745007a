import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvKeyProvider } from '../crypto/key-provider.js';
import { randomKekSpec } from '../../platform/app/testing.js';
import { ArchiveWriter, readArchive } from './archive.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'td-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const provider = new EnvKeyProvider(randomKekSpec('kek-a'));

async function readAll(file: string): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = [];
  for await (const e of readArchive(file, provider)) {
    const parts: Buffer[] = [];
    for await (const p of e.data) parts.push(p);
    out.push([e.name, Buffer.concat(parts)]);
  }
  return out;
}

describe('the backup archive', () => {
  const entries: Array<[string, Buffer]> = [['empty', Buffer.alloc(0)], ['one', Buffer.from('x')], ['big', randomBytes((1 << 20) * 2 + 7)], ['ünïcode/name', randomBytes(1000)]];
  const file = path.join(dir, 'a.tdbak');

  it('round-trips entries of any size across block boundaries, streamed or whole', async () => {
    const w = await ArchiveWriter.create(file, provider, { test: true });
    for (const [name, data] of entries) await w.add(name, data.length, name === 'big' ? (async function* () { for (let i = 0; i < data.length; i += 300_000) yield data.subarray(i, i + 300_000); })() : data);
    await w.finish();
    const back = await readAll(file);
    expect(back.map(([n, d]) => [n, d.length])).toEqual(entries.map(([n, d]) => [n, d.length]));
    back.forEach(([, d], i) => expect(d.equals(entries[i]![1])).toBe(true));
    // A consumer that skips an entry's bytes still gets the next entry.
    const names: string[] = [];
    for await (const e of readArchive(file, provider)) names.push(e.name);
    expect(names).toEqual(entries.map(([n]) => n));
  });

  it('refuses bytes after the end, swapped blocks, a changed size, and a stream that lies about its length', async () => {
    const bytes = readFileSync(file);
    const appended = path.join(dir, 'appended.tdbak');
    writeFileSync(appended, Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])]));
    await expect(readAll(appended)).rejects.toThrow(/after its end/);

    // Blocks: header then u32-length-prefixed blocks; swap the first two (same length: 1 MiB each).
    const headerLen = 7 + 4 + bytes.readUInt32BE(7);
    const blockLen = 4 + bytes.readUInt32BE(headerLen);
    const a = bytes.subarray(headerLen, headerLen + blockLen);
    const b = bytes.subarray(headerLen + blockLen, headerLen + 2 * blockLen);
    const swapped = path.join(dir, 'swapped.tdbak');
    writeFileSync(swapped, Buffer.concat([bytes.subarray(0, headerLen), b, a, bytes.subarray(headerLen + 2 * blockLen)]));
    await expect(readAll(swapped)).rejects.toThrow(/does not authenticate/);

    const w = await ArchiveWriter.create(path.join(dir, 'liar.tdbak'), provider, {});
    await expect(w.add('liar', 10, Buffer.alloc(9))).rejects.toThrow(/changed while/);
    await w.abort();
  });

  it('does not open under another key-encryption key', async () => {
    const other = new EnvKeyProvider(randomKekSpec('kek-b'));
    await expect((async () => { for await (const e of readArchive(file, other)) void e; })()).rejects.toThrow(/another installation/);
  });
});
