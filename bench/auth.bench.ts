/**
 * npm run bench:auth
 * Sign-ins per second at the shipped argon2id parameters, and session
 * validation latency (median, p99) on PGlite and PostgreSQL (TEST_DATABASE_URL).
 */
import { cpus } from 'node:os';
import { createTestServices } from '../src/platform/app/testing.js';
import { signIn } from '../src/identity/auth/auth.service.js';
import { ARGON2_OPTIONS } from '../src/identity/auth/passwords.js';
import { loadUserAccess } from '../src/identity/auth/principals.js';
import { findLiveSession } from '../src/identity/auth/sessions.js';
import { buildOrg, buildUser, signInAs } from '../src/identity/auth/testing.js';
import type { DatabaseKind } from '../src/platform/db/database.js';
import { TEST_DATABASE_URL } from '../src/platform/db/testing.js';
import { buildApp } from '../src/platform/http/app.js';
import { appRoutes } from '../src/platform/http/routes.js';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

async function bench(kind: DatabaseKind) {
  const services = await createTestServices(kind);
  const app = await buildApp({ services, routes: appRoutes });
  await app.ready();
  const org = await buildOrg(services);
  const users = await Promise.all(Array.from({ length: 8 }, () => buildUser(services, org)));
  const deps = { db: services.database.db, audit: services.audit, mailer: services.mailer, deferred: services.deferred, publicUrl: 'http://localhost', policy: app.auth.policy };

  // Sign-ins: full service path (lookup, argon2id verify, session insert, audit append), 2 concurrent.
  const n = 40;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 2 }, async () => {
    while (next < n) {
      const u = users[next++ % users.length]!;
      await signIn(deps, { ip: '127.0.0.1', userAgent: null, requestId: 'b' }, { email: u.email, password: u.password });
    }
  }));
  const signinsPerSec = n / ((performance.now() - t0) / 1000);

  // Session validation: what every request does (hash lookup + expiry checks + roles/teams), measured alone and through HTTP.
  const s = await signInAs(app, users[0]!);
  const samples: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    const row = await findLiveSession(services.database.db, s.token, app.auth.policy);
    await loadUserAccess(services.database.db, row!.user_id);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const http: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    const res = await app.inject({ url: '/api/auth/me', headers: s.headers });
    if (res.statusCode !== 200) throw new Error(`unexpected ${res.statusCode}`);
    http.push(performance.now() - t);
  }
  http.sort((a, b) => a - b);
  console.log(`\n## ${kind}`);
  console.log(`sign-ins/s (argon2id m=${ARGON2_OPTIONS.memoryCost} KiB t=${ARGON2_OPTIONS.timeCost} p=${ARGON2_OPTIONS.parallelism}, 2 concurrent, ${n} sign-ins): ${signinsPerSec.toFixed(1)}`);
  console.log(`session validation (lookup + roles + teams): median ${fmt(pct(samples, 50))}, p99 ${fmt(pct(samples, 99))} over ${samples.length}`);
  console.log(`GET /api/auth/me through the HTTP stack (inject): median ${fmt(pct(http, 50))}, p99 ${fmt(pct(http, 99))} over ${http.length}`);
  await app.close();
  await services.close();
}

console.log(`# bench:auth — ${new Date().toISOString()} — node ${process.version} — ${cpus()[0]?.model} x${cpus().length}`);
await bench('pglite');
if (TEST_DATABASE_URL) await bench('postgres');
else console.log('\n(PostgreSQL skipped: set TEST_DATABASE_URL)');
