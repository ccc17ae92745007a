/** What `trustdesk start` tells a newcomer: where it listens, how to sign in the first time, where mail comes in and goes. */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from './app/testing.js';
import { loadConfig } from './config/config.js';
import { createLogger } from './logging.js';
import { startServer, type RunningServer } from './server.js';

describe('trustdesk start prints', () => {
  let env: TestEnvironment | undefined;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    await env?.cleanup();
    server = undefined;
    env = undefined;
  });

  async function start(extra: NodeJS.ProcessEnv): Promise<string> {
    env = await createTestEnvironment('pglite');
    const lines: string[] = [];
    const config = loadConfig({ env: { ...env.env, TRUSTDESK_PORT: '0', TRUSTDESK_SMTP_PORT: '0', ...extra } });
    server = await startServer({ config, logger: createLogger({ level: 'silent' }), print: (l) => lines.push(l) });
    return lines.join('\n');
  }

  it('the first-run link, how to add a mailbox, and that mail without a relay stays sealed on this machine', { timeout: 120_000 }, async () => {
    const out = await start({});
    expect(out).toMatch(/Trustdesk is listening on http:\/\/[\w.]+:\d+/);
    expect(out).toMatch(/\/setup#token=tdl_/);
    expect(out).toMatch(/inbound mail: +SMTP on 127\.0\.0\.1:\d+, for the mailboxes added under Administration → Email channels \(http:\/\/[\w.]+:\d+\/admin\/email\)/);
    expect(out).toMatch(/outgoing mail: no relay set \(TRUSTDESK_RELAY_URL\), so it is kept sealed in .*outbox; read it with `npm run trustdesk -- outbox list`/);
  });

  it('names the relay without its password', { timeout: 120_000 }, async () => {
    const out = await start({ TRUSTDESK_RELAY_URL: 'smtps://mailer:s3cret-pass@relay.example:465' });
    expect(out).toContain('outgoing mail: through the relay smtps://relay.example:465');
    expect(out).not.toContain('s3cret-pass');
  });
});
