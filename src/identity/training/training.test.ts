/**
 * Training: the module format (valid, each invalid case, size limits, HTML in Markdown shown as text), the
 * shipped modules, grading (pure), then over HTTP on each test database — answers hidden before an attempt,
 * pass, fail, retries exhausted, someone else's or another organisation's assignment not found, who sees
 * whose progress, who manages, rules by role and team with their due dates, re-assignment after the period,
 * and the audit rows.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../auth/testing.js';
import { applyTrainingRules, assignModule } from './assignments.service.js';
import { gradeAttempt, MODULE_LIMITS, ModuleFormatError, parseModule, publicQuiz } from './format.js';
import { renderModuleMarkdown } from './markdown.js';
import { loadShippedModules, loadShippedTranslations } from './shipped.js';

const MODULE = (over: { front?: string; lesson?: string; quiz?: string } = {}) => `---
${over.front ?? `id: test-module
title: A test module
version: 1
audience: all
minutes: 3
pass_mark: 60
max_attempts: 2`}
---
${over.lesson ?? 'Read **this**.'}

## Quiz
${over.quiz ?? `
### First?
- [ ] no
- [x] yes
> Because.

### Second, choose all that apply
- [x] a
- [x] b
- [ ] c
> Both a and b.
`}`;

const problemsOf = (source: string): string[] => {
  try {
    parseModule(source);
  } catch (err) {
    expect(err).toBeInstanceOf(ModuleFormatError);
    return (err as ModuleFormatError).problems;
  }
  throw new Error('expected a format error');
};

describe('training module format (pure)', () => {
  it('parses a valid module: front matter, lesson, questions with right answers and explanations', () => {
    const m = parseModule(MODULE());
    expect(m).toMatchObject({ key: 'test-module', title: 'A test module', version: 1, audience: [], minutes: 3, passMark: 60, maxAttempts: 2 });
    expect(m.lesson).toBe('Read **this**.');
    expect(m.quiz).toEqual([
      { text: 'First?', choices: ['no', 'yes'], correct: [1], explanation: 'Because.' },
      { text: 'Second, choose all that apply', choices: ['a', 'b', 'c'], correct: [0, 1], explanation: 'Both a and b.' },
    ]);
    expect(parseModule(MODULE({ front: 'id: x-y-z\ntitle: T\nversion: 2\naudience: supervisor, agent\nminutes: 5\npass_mark: 80\nmax_attempts: 3' })).audience).toEqual(['agent', 'supervisor']);
  });

  it('refuses each kind of bad module, naming the problem', () => {
    const front = 'id: test-module\ntitle: T\nversion: 1\naudience: all\nminutes: 3\npass_mark: 60\nmax_attempts: 2';
    const cases: Array<[string, string, RegExp]> = [
      ['no front matter', 'Just text\n## Quiz\n### Q\n- [x] a\n- [ ] b\n> e', /front-matter/],
      ['unclosed front matter', '---\nid: abc\n', /never closed/],
      ['unknown key', MODULE({ front: `${front}\ncolour: red` }), /unknown key "colour"/],
      ['duplicate key', MODULE({ front: `${front}\nminutes: 4` }), /given twice/],
      ['bad id', MODULE({ front: front.replace('test-module', '../Etc') }), /^id:/],
      ['missing title', MODULE({ front: front.replace('title: T\n', '') }), /^title:/],
      ['version zero', MODULE({ front: front.replace('version: 1', 'version: 0') }), /^version:/],
      ['pass mark over 100', MODULE({ front: front.replace('pass_mark: 60', 'pass_mark: 101') }), /^pass_mark:/],
      ['too many attempts', MODULE({ front: front.replace('max_attempts: 2', 'max_attempts: 11') }), /^max_attempts:/],
      ['unknown audience role', MODULE({ front: front.replace('audience: all', 'audience: agent, janitor') }), /unknown role "janitor"/],
      ['no quiz section', MODULE().replace('## Quiz', '## Questions'), /no "## Quiz"/],
      ['empty lesson', MODULE({ lesson: '' }), /lesson is empty/],
      ['no right answer', MODULE({ quiz: '### Q\n- [ ] a\n- [ ] b\n> e' }), /at least one right choice/],
      ['one choice', MODULE({ quiz: '### Q\n- [x] a\n> e' }), /2–6 choices/],
      ['no explanation', MODULE({ quiz: '### Q\n- [x] a\n- [ ] b' }), /explanation/],
      ['same choice twice', MODULE({ quiz: '### Q\n- [x] a\n- [ ] a\n> e' }), /the same/],
      ['stray text in the quiz', MODULE({ quiz: '### Q\nsome words\n- [x] a\n- [ ] b\n> e' }), /expected a choice/],
      ['text before the first question', MODULE({ quiz: 'hello\n### Q\n- [x] a\n- [ ] b\n> e' }), /only questions/],
      ['empty quiz', MODULE({ quiz: '' }), /no questions/],
      ['bidi override', MODULE({ lesson: 'pay \u202Eevil' }), /bidirectional/],
    ];
    for (const [name, source, expected] of cases) expect(problemsOf(source).some((p) => expected.test(p)), `${name}: ${problemsOf(source).join(' | ')}`).toBe(true);
  });

  it('bounds the source, the lesson, the quiz and each text', () => {
    expect(problemsOf('x'.repeat(MODULE_LIMITS.sourceChars + 1))[0]).toMatch(/longer than/);
    expect(problemsOf('\n'.repeat(MODULE_LIMITS.lines + 1))[0]).toMatch(/more than/);
    expect(problemsOf(MODULE({ lesson: 'w '.repeat(MODULE_LIMITS.lessonChars / 2 + 10) })).join()).toMatch(/lesson is longer/);
    const q = (i: number) => `### Q${i}\n- [x] a\n- [ ] b\n> e\n`;
    expect(problemsOf(MODULE({ quiz: Array.from({ length: MODULE_LIMITS.questions + 1 }, (_, i) => q(i)).join('\n') })).join()).toMatch(/more than 20 questions/);
    expect(problemsOf(MODULE({ quiz: `### ${'q'.repeat(501)}\n- [x] a\n- [ ] b\n> e` })).join()).toMatch(/question is longer/);
    expect(problemsOf(MODULE({ quiz: `### Q\n- [x] ${'c'.repeat(301)}\n- [ ] b\n> e` })).join()).toMatch(/choice is longer/);
    expect(problemsOf(MODULE({ quiz: `### Q\n- [x] a\n- [ ] b\n> ${'e'.repeat(1001)}` })).join()).toMatch(/explanation is longer/);
    expect(problemsOf(MODULE({ quiz: `### Q\n- [x] 1\n- [ ] 2\n- [ ] 3\n- [ ] 4\n- [ ] 5\n- [ ] 6\n- [ ] 7\n> e` })).join()).toMatch(/2–6 choices/);
  });

  it('renders Markdown with any HTML or script shown as text, and only http(s)/mailto links', () => {
    const html = renderModuleMarkdown('## Title\n\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n- **one** [ok](https://example.com/a?b=1&c=2)\n- [bad](javascript:alert(1)) `<b>x</b>`\n\n> quoted');
    expect(html).not.toMatch(/<(script|img)\b|href="javascript/i);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<h3>Title</h3>');
    expect(html).toContain('<strong>one</strong>');
    expect(html).toContain('href="https://example.com/a?b=1&amp;c=2"');
    expect(html).toContain('<code>&lt;b&gt;x&lt;/b&gt;</code>');
    expect(html).toContain('<blockquote>');
  });

  it('ships at least eight modules that parse, each with 4–6 questions and unique ids', () => {
    const shipped = loadShippedModules();
    expect(shipped.length).toBeGreaterThanOrEqual(8);
    expect(new Set(shipped.map((s) => s.module.key)).size).toBe(shipped.length);
    for (const { file, module: m } of shipped) {
      expect(m.quiz.length, file).toBeGreaterThanOrEqual(4);
      expect(m.quiz.length, file).toBeLessThanOrEqual(6);
      expect(`${m.key}.md`).toBe(file);
      expect(renderModuleMarkdown(m.lesson).length, file).toBeGreaterThan(1000);
    }
  });

  it('reads `language:` (default en); ships translations that are versions of a shipped module, each a real translation', () => {
    expect(parseModule(MODULE()).language).toBe('en');
    expect(parseModule(MODULE({ front: MODULE().split('---')[1]!.trim() + '\nlanguage: pt-BR' })).language).toBe('pt-BR');
    for (const bad of ['de\u202e', 'german', 'DE', '../x', 'de-']) {
      expect(problemsOf(MODULE({ front: MODULE().split('---')[1]!.trim() + `\nlanguage: ${bad}` })).join(' '), bad).toMatch(/language: a language tag|bidirectional/);
    }
    const base = new Map(loadShippedModules().map((s) => [s.module.key, s.module]));
    const translations = loadShippedTranslations();
    expect(translations.map((t) => t.file)).toContain('de/phishing-in-the-queue.md');
    for (const { file, module: m } of translations) {
      const original = base.get(m.key);
      expect(original, file).toBeDefined();
      expect(m.version, file).toBe(original!.version);
      expect(m.language, file).not.toBe('en');
      expect(m.quiz.length, file).toBe(original!.quiz.length);
      expect(m.title, file).not.toBe(original!.title);
      expect(m.lesson.length, file).toBeGreaterThan(original!.lesson.length * 0.8);
    }
  });

  it('grades a question right only when exactly its right choices are chosen; hides answers in the public quiz', () => {
    const m = parseModule(MODULE());
    expect(gradeAttempt(m.quiz, 60, [[1], [1, 0]])).toMatchObject({ score: 100, passed: true });
    expect(gradeAttempt(m.quiz, 60, [[1], [0]])).toMatchObject({ score: 50, passed: false });
    expect(gradeAttempt(m.quiz, 60, [[0, 1], [0, 1]]).questions[0]!.correct).toBe(false);
    expect(() => gradeAttempt(m.quiz, 60, [[1]])).toThrow(RangeError);
    expect(() => gradeAttempt(m.quiz, 60, [[5], [0]])).toThrow(RangeError);
    expect(() => gradeAttempt(m.quiz, 60, [[], [0]])).toThrow(RangeError);
    const open = JSON.stringify(publicQuiz(m.quiz));
    expect(open).not.toMatch(/correct|explanation|Because/);
    expect(publicQuiz(m.quiz).map((q) => q.multiple)).toEqual([false, true]);
  });
});

describe.each(testDatabaseKinds)('training over HTTP on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let other: TestOrg;
  let teamA: string;
  let teamB: string;
  let agentA: SignedIn;
  let agentB: SignedIn;
  let lead: SignedIn;
  let officer: SignedIn;
  let admin: SignedIn;
  let auditor: SignedIn;
  let otherOfficer: SignedIn;

  const req = (who: SignedIn, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : method === 'POST' ? { payload: {} } : {}) });
  const mine = async (who: SignedIn) => {
    const res = await req(who, 'GET', '/api/training/me');
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as Array<{ id: string; status: string; dueAt: string; attemptsLeft: number; module: { key: string; maxAttempts: number } }>;
  };
  const auditRows = (action: string, objectId?: string) => {
    let q = services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', action).select(['object_id', 'details', 'actor_type']);
    if (objectId) q = q.where('object_id', '=', objectId);
    return q.execute();
  };

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
    other = await buildOrg(services);
    teamA = await buildTeam(services, org);
    teamB = await buildTeam(services, org);
    agentA = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    agentB = await signIn(app, org, { roles: ['agent'], teamIds: [teamB] });
    lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamA] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    admin = await signIn(app, org, { roles: ['administrator'] });
    auditor = await signIn(app, org, { roles: ['auditor'] });
    otherOfficer = await signIn(app, other, { roles: ['security_officer'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('writes the shipped modules at start-up, once, and lists them for managers only', async () => {
    const res = await req(officer, 'GET', '/api/training/modules');
    expect(res.statusCode).toBe(200);
    const keys = res.json().items.map((m: { key: string }) => m.key);
    expect(keys).toEqual(expect.arrayContaining(loadShippedModules().map((s) => s.module.key)));
    const count = await services.database.db.selectFrom('training_modules').where('org_id', 'is', null).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(loadShippedModules().length + loadShippedTranslations().length);
    for (const who of [agentA, lead, auditor]) expect((await req(who, 'GET', '/api/training/modules')).statusCode).toBe(403);
    expect((await req(admin, 'GET', '/api/training/modules')).statusCode).toBe(200);
  });

  it('a rule by role and team assigns at once, with its due date, only to the people it matches', async () => {
    const before = Date.now();
    const res = await req(officer, 'POST', '/api/training/rules', { moduleKey: 'phishing-in-the-queue', roleKey: 'agent', teamId: teamA, dueDays: 14, everyMonths: 12 });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ moduleKey: 'phishing-in-the-queue', roleKey: 'agent', teamId: teamA, dueDays: 14, everyMonths: 12, assigned: 1 });
    const a = await mine(agentA);
    expect(a.map((x) => x.module.key)).toEqual(['phishing-in-the-queue']);
    expect(a[0]!.status).toBe('due');
    const due = new Date(a[0]!.dueAt).getTime();
    expect(due).toBeGreaterThanOrEqual(before + 14 * 86_400_000 - 1000);
    expect(due).toBeLessThanOrEqual(Date.now() + 14 * 86_400_000 + 1000);
    expect(await mine(agentB)).toEqual([]); // other team
    expect(await mine(lead)).toEqual([]); // same team, not an agent
    const rows = await auditRows('training.assign', a[0]!.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor_type).toBe('system');
    expect(await auditRows('training.rule.create')).toHaveLength(1);
    // Applying again changes nothing: one open assignment per person and module.
    expect(await applyTrainingRules({ db: services.database.db, audit: services.audit }, { orgId: org.orgId })).toBe(0);
    // A person who joins the team later gets it when they open their training.
    const newcomer = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    expect((await mine(newcomer)).map((x) => x.module.key)).toEqual(['phishing-in-the-queue']);
  });

  it('serves the lesson and the quiz without its answers, and grades on the server: fail, retry, pass', async () => {
    const [a] = await mine(agentA);
    const read = await req(agentA, 'GET', `/api/training/assignments/${a!.id}`);
    expect(read.statusCode).toBe(200);
    const body = read.json();
    expect(body.lessonHtml).toContain('<h3>');
    expect(body.lastAttempt).toBeNull();
    expect(JSON.stringify(body.quiz)).not.toMatch(/"correct"|explanation/);
    const shipped = loadShippedModules().find((s) => s.module.key === 'phishing-in-the-queue')!.module;
    for (const q of shipped.quiz) expect(read.body).not.toContain(q.explanation.slice(0, 40));
    const right = shipped.quiz.map((q) => q.correct);
    const wrong = shipped.quiz.map((q) => [q.correct[0] === 0 ? 1 : 0]);

    const fail = await req(agentA, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: wrong });
    expect(fail.statusCode, fail.body).toBe(201);
    expect(fail.json()).toMatchObject({ attempt: 1, passed: false, status: 'due', attemptsLeft: shipped.maxAttempts - 1 });
    // While attempts are left the explanations show, the right choices do not.
    expect(fail.json().questions.every((q: { rightChoices: unknown; explanation: string }) => q.rightChoices === null && q.explanation.length > 0)).toBe(true);
    expect((await req(agentA, 'GET', `/api/training/assignments/${a!.id}`)).json().lastAttempt.questions.every((q: { rightChoices: unknown }) => q.rightChoices === null)).toBe(true);

    const bad = await req(agentA, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: [[0]] });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);

    const pass = await req(agentA, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: right });
    expect(pass.json()).toMatchObject({ attempt: 2, passed: true, score: 100, status: 'passed', attemptsLeft: 0 });
    expect(pass.json().questions.map((q: { rightChoices: number[] }) => q.rightChoices)).toEqual(right);
    const again = await req(agentA, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: right });
    expect(again.statusCode).toBe(409);
    expect((await mine(agentA))[0]!.status).toBe('passed');

    expect(await auditRows('training.quiz.fail', a!.id)).toHaveLength(1);
    expect(await auditRows('training.quiz.pass', a!.id)).toHaveLength(1);
    expect(await auditRows('training.complete', a!.id)).toHaveLength(1);
    const attempts = await services.database.db.selectFrom('training_attempts').where('assignment_id', '=', a!.id).select(['attempt', 'score', 'passed', 'correct']).orderBy('attempt').execute();
    expect(attempts.map((x) => [x.attempt, x.passed])).toEqual([[1, false], [2, true]]);
    expect(attempts[1]!.correct).toEqual(right.map(() => true));
  });

  it('closes an assignment as failed when the attempts run out', async () => {
    const shipped = loadShippedModules().find((s) => s.module.key === 'gdpr-basics-for-agents')!.module;
    const id = await services.database.db.transaction().execute((trx) => assignModule({ db: services.database.db, audit: services.audit }, trx, { orgId: org.orgId, userId: agentB.userId, moduleKey: shipped.key, dueAt: new Date(Date.now() - 86_400_000), source: 'simulation' }));
    expect(id).toBeTruthy();
    expect((await mine(agentB)).find((x) => x.id === id)!.status).toBe('overdue');
    const wrong = shipped.quiz.map((q) => [q.correct.includes(0) ? q.choices.length - 1 : 0]);
    for (let i = 1; i <= shipped.maxAttempts; i++) {
      const res = await req(agentB, 'POST', `/api/training/assignments/${id}/attempts`, { answers: wrong });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().attemptsLeft).toBe(shipped.maxAttempts - i);
    }
    expect((await mine(agentB)).find((x) => x.id === id)!.status).toBe('failed');
    expect((await req(agentB, 'POST', `/api/training/assignments/${id}/attempts`, { answers: wrong })).statusCode).toBe(409);
    expect(await auditRows('training.attempts_exhausted', id!)).toHaveLength(1);
    // A manager may assign it again; the new one is open.
    const re = await req(officer, 'POST', '/api/training/assignments', { moduleKey: shipped.key, userIds: [agentB.userId], dueDays: 7 });
    expect(re.json()).toEqual({ assigned: 1, alreadyOpen: 0 });
    expect((await req(officer, 'POST', '/api/training/assignments', { moduleKey: shipped.key, userIds: [agentB.userId], dueDays: 7 })).json()).toEqual({ assigned: 0, alreadyOpen: 1 });
  });

  it('someone else’s or another organisation’s assignment is not found, to read and to answer', async () => {
    const [a] = await mine(agentA);
    for (const who of [agentB, lead, officer, otherOfficer]) {
      expect((await req(who, 'GET', `/api/training/assignments/${a!.id}`)).statusCode).toBe(404);
      expect((await req(who, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: [[0]] })).statusCode).toBe(404);
    }
    expect((await req(agentA, 'GET', `/api/training/assignments/${randomUUID()}`)).statusCode).toBe(404);
    // A manager of another organisation cannot assign to this one's people, nor use its rules.
    expect((await req(otherOfficer, 'POST', '/api/training/assignments', { moduleKey: 'gdpr-basics-for-agents', userIds: [agentA.userId], dueDays: 7 })).statusCode).toBe(404);
    expect((await req(otherOfficer, 'POST', '/api/training/rules', { moduleKey: 'gdpr-basics-for-agents', roleKey: null, teamId: teamA, dueDays: 7, everyMonths: null })).statusCode).toBe(404);
    const rule = (await req(officer, 'GET', '/api/training/rules')).json().items[0];
    expect((await req(otherOfficer, 'DELETE', `/api/training/rules/${rule.id}`)).statusCode).toBe(404);
  });

  it('progress: the lead sees their team, the officer and auditor everyone, agents nothing; only managers manage', async () => {
    const progress = async (who: SignedIn) => {
      const res = await req(who, 'GET', '/api/training/progress');
      return { status: res.statusCode, users: res.statusCode === 200 ? new Set(res.json().items.map((r: { userId: string }) => r.userId)) : new Set() };
    };
    const ofLead = await progress(lead);
    expect(ofLead.status).toBe(200);
    expect(ofLead.users.has(agentA.userId)).toBe(true);
    expect(ofLead.users.has(agentB.userId)).toBe(false);
    for (const who of [officer, admin, auditor]) {
      const all = await progress(who);
      expect(all.status).toBe(200);
      expect(all.users.has(agentA.userId) && all.users.has(agentB.userId)).toBe(true);
    }
    expect((await progress(agentA)).status).toBe(403);
    expect((await progress(otherOfficer)).users.size).toBe(0);
    const overdue = (await req(officer, 'GET', '/api/training/progress?status=overdue')).json().items;
    expect(overdue.every((r: { status: string }) => r.status === 'overdue')).toBe(true);
    expect(await auditRows('training.progress.read')).not.toHaveLength(0);

    const writes: Array<[string, string, object]> = [
      ['POST', '/api/training/rules', { moduleKey: 'reporting-incidents', roleKey: null, teamId: null, dueDays: 7, everyMonths: null }],
      ['POST', '/api/training/assignments', { moduleKey: 'reporting-incidents', userIds: [agentA.userId], dueDays: 7 }],
      ['POST', '/api/training/modules', { source: MODULE() }],
    ];
    for (const who of [agentA, lead, auditor]) for (const [method, url, payload] of writes) expect((await req(who, method as 'POST', url, payload)).statusCode, `${url}`).toBe(403);
  });

  it('an administrator adds a module in the format; bad source is a listed problem; shipped ids and old versions refused', async () => {
    const add = await req(admin, 'POST', '/api/training/modules', { source: MODULE({ lesson: 'Hello <script>alert(1)</script>' }) });
    expect(add.statusCode, add.body).toBe(201);
    const m = add.json();
    expect(m).toMatchObject({ key: 'test-module', version: 1, questions: 2, shipped: false });
    const detail = (await req(admin, 'GET', `/api/training/modules/${m.id}`)).json();
    expect(detail.lessonHtml).not.toContain('<script');
    expect(detail.quiz[0].correct).toEqual([1]);
    expect((await req(otherOfficer, 'GET', `/api/training/modules/${m.id}`)).statusCode).toBe(404);
    expect((await req(admin, 'POST', '/api/training/modules', { source: MODULE() })).statusCode).toBe(409);
    const shippedKey = MODULE().replace('id: test-module', 'id: phishing-in-the-queue');
    expect((await req(admin, 'POST', '/api/training/modules', { source: shippedKey })).statusCode).toBe(409);
    const bad = await req(admin, 'POST', '/api/training/modules', { source: MODULE({ quiz: '### Q\n- [ ] a\n- [ ] b' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems.join(' ')).toMatch(/right choice/);
    const v2 = await req(admin, 'POST', '/api/training/modules', { source: MODULE().replace('version: 1', 'version: 2') });
    expect(v2.json().version).toBe(2);
    expect(await auditRows('training.module.add')).toHaveLength(2);
    // Another organisation does not see it, and may write its own under the same id.
    expect((await req(otherOfficer, 'GET', '/api/training/modules')).json().items.map((x: { key: string }) => x.key)).not.toContain('test-module');
  });

  it('re-assigns when the rule’s period has passed since the last completion, not before', async () => {
    const deps = { db: services.database.db, audit: services.audit };
    const later = new Date(Date.now() + 11 * 30 * 86_400_000);
    expect(await applyTrainingRules(deps, { orgId: org.orgId, userId: agentA.userId }, later)).toBe(0);
    const muchLater = new Date(Date.now() + 13 * 31 * 86_400_000);
    expect(await applyTrainingRules(deps, { orgId: org.orgId, userId: agentA.userId }, muchLater)).toBe(1);
    const open = await services.database.db.selectFrom('training_assignments').where('user_id', '=', agentA.userId).where('status', '=', 'assigned').select(['module_key', 'due_at']).execute();
    expect(open.map((o) => o.module_key)).toEqual(['phishing-in-the-queue']);
  });

  it('a deactivated person is not assigned; an auditor has their own (empty) training', async () => {
    const gone = await buildUser(services, org, { roles: ['agent'], teamIds: [teamA], status: 'deactivated' });
    await expect(services.database.db.transaction().execute((trx) => assignModule({ db: services.database.db, audit: services.audit }, trx, { orgId: org.orgId, userId: gone.userId, moduleKey: 'reporting-incidents', dueAt: new Date(), source: 'manual' }))).rejects.toThrow(/No such person/);
    const auditorOwn = await signInAs(app, await buildUser(services, org, { roles: ['auditor'] }));
    expect((await mine(auditorOwn))).toEqual([]);
  });

  it('shows a module in the person’s language, grades the version shown, counts completion for the module; admins add language versions', async () => {
    const de = loadShippedTranslations().find((t) => t.module.key === 'phishing-in-the-queue' && t.module.language === 'de')!.module;
    const en = loadShippedModules().find((t) => t.module.key === 'phishing-in-the-queue')!.module;
    const person = await signIn(app, org, { roles: ['agent'], teamIds: [teamB] });
    const assign = await req(officer, 'POST', '/api/training/assignments', { moduleKey: 'phishing-in-the-queue', userIds: [person.userId], dueDays: 7 });
    expect(assign.statusCode, assign.body).toBe(201);
    const [a] = await mine(person);
    // No language chosen and the organisation's is English: the English module.
    expect((await req(person, 'GET', `/api/training/assignments/${a!.id}`)).json()).toMatchObject({ language: 'en', module: { title: en.title } });
    // The person's own choice (the same preference simulations use) picks the German version.
    expect((await app.inject({ method: 'PUT', url: '/api/account/language', headers: person.headers, payload: { language: 'de' } })).statusCode).toBe(200);
    const read = (await req(person, 'GET', `/api/training/assignments/${a!.id}`)).json();
    expect(read).toMatchObject({ language: 'de', module: { title: de.title, key: 'phishing-in-the-queue' } });
    expect(read.lessonHtml).toContain('Warum der Support ein Ziel ist');
    expect(read.quiz[0].text).toBe(de.quiz[0]!.text);
    expect((await mine(person))[0]).toMatchObject({ language: 'de' });
    // The German choices are in another order: English answer indexes fail the German quiz; a module id that is
    // not a language version of this assignment is refused.
    const enRight = en.quiz.map((q) => q.correct);
    const deRight = de.quiz.map((q) => q.correct);
    expect(enRight).not.toEqual(deRight);
    const otherModule = (await req(officer, 'GET', '/api/training/modules')).json().items.find((m: { key: string }) => m.key === 'gdpr-basics-for-agents').id as string;
    for (const moduleId of [otherModule, randomUUID()]) {
      const forged = await req(person, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: deRight, moduleId });
      expect(forged.statusCode, moduleId).toBe(400);
      expect(forged.headers['content-type']).toMatch(/problem\+json/);
    }
    const wrong = await req(person, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: enRight, moduleId: read.moduleId });
    expect(wrong.json()).toMatchObject({ attempt: 1, passed: false });
    const pass = await req(person, 'POST', `/api/training/assignments/${a!.id}/attempts`, { answers: deRight, moduleId: read.moduleId });
    expect(pass.json()).toMatchObject({ attempt: 2, passed: true, status: 'passed' });
    expect(pass.json().questions[0].explanation).toBe(de.quiz[0]!.explanation);
    const attempt = await services.database.db.selectFrom('training_attempts').where('assignment_id', '=', a!.id).where('attempt', '=', 2).select('module_id').executeTakeFirstOrThrow();
    expect(attempt.module_id).toBe(read.moduleId);
    expect((await auditRows('training.complete', a!.id))[0]!.details).toMatchObject({ module: 'phishing-in-the-queue', language: 'de' });
    // Completion counts for the module, whatever the language: the progress view shows it passed.
    const progress = (await req(officer, 'GET', '/api/training/progress?moduleKey=phishing-in-the-queue')).json().items.find((r: { userId: string }) => r.userId === person.userId);
    expect(progress).toMatchObject({ status: 'passed' });

    // Admins: a language version of a shipped module (same id and version, a new language) is accepted; the
    // shipped language, a version that does not exist, or the same language twice is refused.
    const fr = MODULE({ front: 'id: phishing-in-the-queue\ntitle: Reconnaître le phishing\nversion: 1\naudience: all\nminutes: 5\npass_mark: 60\nmax_attempts: 3\nlanguage: fr' });
    const added = await req(admin, 'POST', '/api/training/modules', { source: fr });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ key: 'phishing-in-the-queue', language: 'fr', shipped: false });
    expect((await req(admin, 'POST', '/api/training/modules', { source: fr })).statusCode).toBe(409);
    expect((await req(admin, 'POST', '/api/training/modules', { source: fr.replace('language: fr', 'language: de') })).statusCode).toBe(409);
    expect((await req(admin, 'POST', '/api/training/modules', { source: fr.replace('version: 1', 'version: 7') })).statusCode).toBe(409);
    const listed = (await req(officer, 'GET', '/api/training/modules')).json().items.find((m: { key: string }) => m.key === 'phishing-in-the-queue');
    expect(listed).toMatchObject({ language: 'en', languages: ['de', 'en', 'fr'] });
    // Another organisation neither sees nor gets that version.
    expect((await req(otherOfficer, 'GET', '/api/training/modules')).json().items.find((m: { key: string }) => m.key === 'phishing-in-the-queue').languages).toEqual(['de', 'en']);
    // An own module in German first, then its English version: both versions of one key.
    const own = MODULE({ front: 'id: own-lang-module\ntitle: Eigenes Modul\nversion: 1\naudience: all\nminutes: 3\npass_mark: 60\nmax_attempts: 2\nlanguage: de' });
    expect((await req(admin, 'POST', '/api/training/modules', { source: own })).statusCode).toBe(201);
    expect((await req(admin, 'POST', '/api/training/modules', { source: own.replace('language: de', 'language: en').replace('Eigenes Modul', 'Own module') })).statusCode).toBe(201);
    // A language with no version falls back to the assigned one: pt-BR reads English.
    await app.inject({ method: 'PUT', url: '/api/account/language', headers: person.headers, payload: { language: 'pt-BR' } });
    expect((await req(person, 'GET', `/api/training/assignments/${a!.id}`)).json().language).toBe('en');
  });
});
