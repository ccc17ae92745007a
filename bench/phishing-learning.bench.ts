/**
 * What a label and a load of an organisation's learned phishing model cost (decision 0174):
 * `npm run bench:phishing-learning` (PostgreSQL too when TEST_DATABASE_URL is set).
 * Prints figures; asserts nothing. The model is filled to a given number of tokens, stored, then:
 *   - learnLabel: lock, decrypt, parse, learn, serialise, encrypt, write (one label of 120 tokens);
 *   - loader, cold: read, decrypt and parse the model (what ingest pays after each change);
 *   - loader, warm: the one indexed read of updated_at that ingest pays per message otherwise;
 *   - status: what GET /api/phishing-learning reads.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { DatabaseKind } from '../src/platform/db/database.js';
import { createTestServices } from '../src/platform/app/testing.js';
import { buildOrg, buildUser } from '../src/identity/auth/testing.js';
import { LearnedModel } from '../src/threats/phishing/learning/index.js';
import { createLearnedLoader, learningStatus, learnLabel } from '../src/threats/phishing-learning/store.js';

const SIZES = [1_000, 10_000, 50_000];
const RUNS = 20;
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function time(fn: () => Promise<unknown>, runs = RUNS): Promise<number> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

async function benchKind(kind: DatabaseKind) {
  console.log(`\n## ${kind}`);
  for (const size of SIZES) {
    const s = await createTestServices(kind);
    const org = await buildOrg(s);
    const labellers = [(await buildUser(s, org, { roles: ['agent'] })).userId, (await buildUser(s, org, { roles: ['agent'] })).userId];
    // Fill the model: labels of 100 fresh tokens each, spread over days so the daily cap never refuses.
    const model = new LearnedModel();
    for (let i = 0; i * 100 < size; i++) {
      const keys = Array.from({ length: 100 }, (_, j) => `k${i * 100 + j}`);
      model.learn(keys, i % 3 ? 'ham' : 'phish', labellers[i % 2]!, { at: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 150) * 86_400_000) });
    }
    const json = JSON.stringify(model.toJSON());
    const enc = await s.keyring.encrypt({ type: 'organization', id: org.orgId }, { table: 'phishing_models', column: 'model_enc', rowId: org.orgId }, json);
    await s.database.db.insertInto('phishing_models').values({ org_id: org.orgId, model_enc: enc }).execute();
    const tokens = Array.from({ length: 120 }, (_, j) => `w:word${j}`);
    const label = await time(() => s.database.db.transaction().execute((trx) => learnLabel(trx, s.keyring, { orgId: org.orgId, messageRef: randomUUID(), label: 'ham', source: 'reply', labellerId: labellers[0]!, tokens })));
    const cold = await time(async () => createLearnedLoader({ db: s.database.db, keyring: s.keyring })(org.orgId));
    const loader = createLearnedLoader({ db: s.database.db, keyring: s.keyring });
    await loader(org.orgId);
    const warm = await time(() => loader(org.orgId), 200);
    const status = await time(() => learningStatus(s.database.db, s.keyring, org.orgId));
    console.log(`${size.toLocaleString('en')} tokens (${(json.length / 1e6).toFixed(2)} MB JSON, ${(enc.length / 1e6).toFixed(2)} MB stored): learnLabel ${label.toFixed(1)} ms, loader cold ${cold.toFixed(1)} ms, warm ${warm.toFixed(2)} ms, status ${status.toFixed(1)} ms`);
    await s.close();
  }
}

console.log(`# phishing learning store, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}; medians of ${RUNS} runs`);
await benchKind('pglite');
if (TEST_DATABASE_URL) await benchKind('postgres');
else console.log('\n(PostgreSQL skipped: set TEST_DATABASE_URL)');
