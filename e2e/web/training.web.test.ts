/**
 * Training in Chromium: a security officer assigns a shipped module; the agent finds it on the Training page,
 * reads the lesson, answers one question wrong (not passed, the explanations shown, no right answers yet), tries
 * again and passes; the officer's progress page shows it passed. axe on the list, the player and the progress
 * page; CSP watched.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn } from '../../src/identity/auth/testing.js';
import { parseModule, type QuizQuestion } from '../../src/identity/training/format.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const MODULE = 'verifying-customer-identity';
const quiz = parseModule(readFileSync(path.join(import.meta.dirname, '../../src/identity/training/modules', `${MODULE}.md`), 'utf8'));

describeWeb('training', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let officer: SignedIn;
  let agent: SignedIn;
  let germanAgent: SignedIn;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    const org = await buildOrg(services, 'Northwind Traders');
    const team = await buildTeam(services, org, 'Support');
    officer = await signInAs(server.app, await buildUser(services, org, { roles: ['security_officer'], name: 'Ines Officer', email: `ines-${randomUUID().slice(0, 6)}@northwind.example` }));
    const agentUser = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Okafor', email: `sam-${randomUUID().slice(0, 6)}@northwind.example` });
    agent = await signInAs(server.app, agentUser);
    const assigned = await server.app.inject({ method: 'POST', url: '/api/training/assignments', headers: officer.headers, payload: { moduleKey: MODULE, userIds: [agentUser.userId], dueDays: 14 } });
    expect(assigned.statusCode, assigned.body).toBe(201);
    // A colleague who chose German (the same preference simulations use) gets the German version of a module.
    const germanUser = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Lena Keller', email: `lena-${randomUUID().slice(0, 6)}@northwind.example` });
    germanAgent = await signInAs(server.app, germanUser);
    expect((await server.app.inject({ method: 'PUT', url: '/api/account/language', headers: germanAgent.headers, payload: { language: 'de' } })).statusCode).toBe(200);
    const assignedDe = await server.app.inject({ method: 'POST', url: '/api/training/assignments', headers: officer.headers, payload: { moduleKey: 'phishing-in-the-queue', userIds: [germanUser.userId], dueDays: 14 } });
    expect(assignedDe.statusCode, assignedDe.body).toBe(201);
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  /** Ticks the choices `pick` gives for each question. */
  async function answer(page: Page, pick: (q: QuizQuestion, i: number) => number[], module = quiz) {
    for (const [i, q] of module.quiz.entries()) {
      const group = page.getByRole('group', { name: `${i + 1}. ${q.text}` });
      for (const c of pick(q, i)) await group.getByLabel(q.choices[c]!, { exact: true }).check();
    }
    await page.getByRole('button', { name: 'Submit answers' }).click();
  }

  it('the agent takes the module: a wrong answer fails, the retry passes; the officer sees it passed', async () => {
    const context = await staffContext(browser, server, agent);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/training');
    const link = page.getByRole('link', { name: quiz.title });
    await link.waitFor();
    expect(await runAxe(page)).toEqual([]);
    await link.click();
    await page.getByRole('heading', { name: 'Lesson' }).waitFor();
    expect(await runAxe(page)).toEqual([]);

    // Enough wrong answers to fall below the pass mark: explanations shown, the right choices not yet.
    const n = quiz.quiz.length;
    let wrongCount = 1;
    while (((n - wrongCount) / n) * 100 >= quiz.passMark) wrongCount++;
    const wrong = (q: QuizQuestion) => [q.choices.findIndex((_, j) => !q.correct.includes(j))];
    await answer(page, (q, i) => (i < wrongCount ? wrong(q) : q.correct));
    await page.getByText(/^Not passed: \d+%/).waitFor();
    await snap(page, 'training-not-passed');
    expect(await page.getByText(quiz.quiz[0]!.explanation.slice(0, 40), { exact: false }).count()).toBeGreaterThan(0);
    expect(await page.getByText('Right answer:').count()).toBe(0);

    await page.getByRole('button', { name: 'Try again' }).click();
    await answer(page, (q) => q.correct);
    await page.getByText('Passed with 100%').waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();

    const officerContext = await staffContext(browser, server, officer);
    const officerPage = await officerContext.newPage();
    await officerPage.goto('/training/manage');
    const row = officerPage.getByRole('row').filter({ hasText: 'Sam Okafor' }).filter({ hasText: quiz.title });
    await row.getByText('Passed').waitFor();
    expect(await runAxe(officerPage)).toEqual([]);
    await snap(officerPage, 'training-progress');
    await officerContext.close();
  }, 90_000);

  it('a German-speaking agent reads the module in German and passes its German quiz; it counts for the module', async () => {
    const de = parseModule(readFileSync(path.join(import.meta.dirname, '../../src/identity/training/modules/de/phishing-in-the-queue.md'), 'utf8'));
    const context = await staffContext(browser, server, germanAgent);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/training');
    await page.getByRole('link', { name: de.title }).click();
    await page.getByRole('heading', { name: 'Warum der Support ein Ziel ist' }).waitFor();
    expect(await page.locator('.kb-article').getAttribute('lang')).toBe('de');
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'training-in-german');
    await answer(page, (q) => q.correct, de);
    await page.getByText('Passed with 100%').waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
    const progress = (await server.app.inject({ method: 'GET', url: '/api/training/progress?moduleKey=phishing-in-the-queue', headers: officer.headers })).json();
    expect(progress.items.find((r: { userName: string }) => r.userName === 'Lena Keller')).toMatchObject({ status: 'passed' });
  }, 90_000);
});
