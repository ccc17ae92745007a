import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointPublisher, fileSink, mailSink } from './publish.js';

const cp = (n: number) => ({ treeSize: n, note: `example.org/trustdesk/audit\n${n}\nroot${n}=\n\n— example.org/trustdesk/audit sig${n}\n` });

describe('checkpoint publishing outside the database', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes every checkpoint to a folder and the latest to a file', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'td-cp-'));
    const folder = path.join(dir, 'notes/');
    const file = path.join(dir, 'latest-checkpoint.txt');
    const p = new CheckpointPublisher();
    p.addSink('folder', fileSink(folder));
    p.addSink('file', fileSink(file));
    await p.publish(cp(5));
    await p.publish(cp(9));
    expect(readdirSync(folder).sort()).toEqual(['checkpoint-000000000005.note', 'checkpoint-000000000009.note', 'latest.note']);
    expect(readFileSync(path.join(folder, 'latest.note'), 'utf8')).toBe(cp(9).note);
    expect(readFileSync(file, 'utf8')).toBe(cp(9).note);
  });

  it('a failing sink is logged and does not stop the others', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'td-cp-'));
    const errors: unknown[] = [];
    const p = new CheckpointPublisher({ error: (o: unknown) => errors.push(o) } as never);
    p.addSink('broken', () => {
      throw new Error('disk full');
    });
    p.addSink('file', fileSink(path.join(dir, 'cp.txt')));
    await p.publish(cp(3));
    expect(errors).toHaveLength(1);
    expect(readFileSync(path.join(dir, 'cp.txt'), 'utf8')).toBe(cp(3).note);
  });

  it('mails at most one checkpoint per interval, always the latest', async () => {
    let t = 1_000_000;
    const sent: Array<{ to: string; subject: string; text: string }> = [];
    const sink = mailSink({ send: async (to, subject, text) => void sent.push({ to, subject, text }), recipients: async () => ['sec@acme.example'], intervalMs: 60_000, vkey: 'example.org/trustdesk/audit+abcd+KEY', now: () => t });
    await sink(cp(10));
    expect(sent.map((m) => m.subject)).toEqual(['Audit checkpoint: 10 entries']);
    t += 1_000;
    await sink(cp(11));
    await sink(cp(12));
    expect(sent).toHaveLength(1);
    await sink.flush();
    expect(sent.map((m) => m.subject)).toEqual(['Audit checkpoint: 10 entries', 'Audit checkpoint: 12 entries']);
    expect(sent[1]!.text).toContain(cp(12).note.trimEnd());
    expect(sent[1]!.text).toContain('example.org/trustdesk/audit+abcd+KEY');
    await sink.flush();
    expect(sent).toHaveLength(2);
  });
});
