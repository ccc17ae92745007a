/**
 * With no relay, outgoing mail is sealed in <data>/outbox; `trustdesk outbox list|show` reads it for the
 * operator, and the folder alone reveals neither the body nor the recipient.
 */
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../app/testing.js';
import { openServices } from '../app/services.js';
import { runCli } from './main.js';

describe('trustdesk outbox', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('seals outbox mail at rest and opens it for the operator, audited', async () => {
    env = await createTestEnvironment('pglite');
    const s = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
    await s.mailer.send({ to: 'winifred.oakhampton@customer.example', subject: 'Your sign-in code', text: 'Your code is 482913 and your order 7781 has shipped.' });
    await s.close();

    const dir = path.join(env.config().dataDirPath, 'outbox');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.eml\.enc$/);
    const raw = readFileSync(path.join(dir, files[0]!));
    for (const needle of ['482913', 'winifred', 'order 7781', 'sign-in code']) expect(raw.includes(needle), needle).toBe(false);

    const list = captureIo(env.env);
    expect(await runCli(['outbox', 'list'], list.io)).toBe(0);
    const id = files[0]!.replace(/\.eml\.enc$/, '');
    expect(list.text()).toContain(id);

    const show = captureIo(env.env);
    expect(await runCli(['outbox', 'show', id], show.io)).toBe(0);
    expect(show.text()).toContain('To: winifred.oakhampton@customer.example');
    expect(show.text()).toContain('Your code is 482913');

    const again = await openServices({ config: env.config(), logger: silentLogger, migrate: false });
    try {
      const read = await again.database.db.selectFrom('audit_log').where('action', '=', 'outbox.read').select(['object_id', 'actor_type']).execute();
      expect(read).toEqual([{ object_id: id, actor_type: 'system' }]);
    } finally {
      await again.close();
    }

    // A made-up id, a path, and a file renamed to another id are refused with a message.
    const bad = captureIo(env.env);
    expect(await runCli(['outbox', 'show', '../../etc/passwd'], bad.io)).toBe(1);
    expect(bad.text()).toMatch(/not an outbox id/);
    const other = id.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    renameSync(path.join(dir, files[0]!), path.join(dir, `${other}.eml.enc`));
    const renamed = captureIo(env.env);
    expect(await runCli(['outbox', 'show', other], renamed.io)).toBe(1);
    expect(renamed.text()).toMatch(/does not open/);
  }, 180_000);
});
