import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, type TestEnvironment } from '../app/testing.js';
import { emptyReport } from '../../helpdesk/import/importer.js';
import { summary } from './import.js';
import { runCli } from './main.js';

describe('an import stopped at a limit', () => {
  it('says what was imported, that the ticket it stopped at left nothing, and how to resume', () => {
    const r = { ...emptyReport('zendesk', false), imported: 2, limitReached: 'Storing 2 KB more would exceed this organisation\'s attachment storage: 1 KB used of 3 KB. Ask the operator of this Trustdesk installation (your provider) to raise it.' };
    const text = summary(r).join('\n');
    expect(text).toMatch(/tickets +2 imported/);
    expect(text).toMatch(/Stopped at an organisation limit: Storing 2 KB more/);
    expect(text).toMatch(/nothing of it was kept\)\. Once the limit is raised \(trustdesk orgs limits ORG --storage SIZE\), run the same command again: what was imported is skipped\./);
  });
});

/** `trustdesk orgs limits`, run as the operator would: bad input refused with the reason, limits set, shown and listed. */
describe('trustdesk orgs limits', () => {
  let env: TestEnvironment;
  const run = async (...args: string[]) => {
    const c = captureIo(env.env);
    const code = await runCli(args, c.io);
    return { code, text: c.text(), out: c.out };
  };
  beforeAll(async () => {
    env = await createTestEnvironment('pglite');
    expect((await run('setup', '--org', 'Harbour Dental', '--admin', 'it@harbour.example')).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await env?.cleanup();
  });

  it('refuses negative, non-numeric and unknown input with exit 1 and the reason; sets, shows and lists limits', async () => {
    expect(await run('orgs', 'limits', 'harbour-dental', '--seats', '-3')).toMatchObject({ code: 1, text: expect.stringMatching(/--seats must be a whole number from 0 to \d+, or "none" \(got "-3"\)/) });
    expect(await run('orgs', 'limits', 'harbour-dental', '--inbound-per-day', 'lots')).toMatchObject({ code: 1, text: expect.stringMatching(/--inbound-per-day must be a whole number/) });
    expect(await run('orgs', 'limits', 'harbour-dental', '--storage', '5 parsecs')).toMatchObject({ code: 1, text: expect.stringMatching(/"5 parsecs" is not a size/) });
    expect(await run('orgs', 'limits', 'no-such-org', '--seats', '3')).toMatchObject({ code: 1, text: expect.stringMatching(/No organisation "no-such-org"/) });

    const set = await run('orgs', 'limits', 'harbour-dental', '--seats', '5', '--storage', '5GB', '--inbound-per-day', '200');
    expect(set.code, set.text).toBe(0);
    expect(set.text).toMatch(/staff seats +1 of 5/);
    expect(set.text).toMatch(/attachment storage +0 B of 5 GB/);
    expect(set.text).toMatch(/inbound per day +0 today \(UTC\) of 200/);

    const lowered = await run('orgs', 'limits', 'harbour-dental', '--seats', '0', '--storage', 'none');
    expect(lowered.text).toMatch(/staff seats +1 of 0/);
    expect(lowered.text).toMatch(/more seat\(s\) in use than the limit; existing people keep their accounts/);
    expect(lowered.text).toMatch(/attachment storage +0 B \(no limit\)/);
    expect(lowered.text).toMatch(/inbound per day +0 today \(UTC\) of 200/);

    // The operator's own invitation is held to the limit too, with the same words.
    const invite = await run('users', 'create-admin', '--email', 'second@harbour.example');
    expect(invite).toMatchObject({ code: 1, text: expect.stringMatching(/limit of staff seats: 1 used of 0\. Ask the operator/) });

    const list = await run('orgs', 'list', '--json');
    expect(JSON.parse(list.out[0]!)).toEqual([expect.objectContaining({ slug: 'harbour-dental', limits: { seats: 0, storageBytes: null, inboundPerDay: 200 }, usage: { seats: 1, storageBytes: 0, inboundToday: 0 } })]);
  }, 240_000);
});
