/**
 * Browser-test harness: a Trustdesk server on a free localhost port (the
 * WebAuthn relying party is `localhost`), Debian's Chromium driven by
 * playwright-core, staff sessions handed to the browser as cookies, an axe-core
 * accessibility pass, CSP-violation capture and opt-in screenshots.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { describe, inject } from 'vitest';
import type { Services } from '../../src/platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../src/platform/app/testing.js';
import type { SignedIn } from '../../src/identity/auth/testing.js';
import type { DatabaseKind } from '../../src/platform/db/database.js';
import { testDatabaseKinds } from '../../src/platform/db/testing.js';
import { buildApp } from '../../src/platform/http/app.js';
import { appRoutes } from '../../src/platform/http/routes.js';
import { freePort } from '../instances.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from './browser.setup.js';

export { CHROMIUM_PATH, hasChromium };
const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A browser suite, on one database (decision 0162): the one a deployment of its kind runs on. First-run and
 * getting-started suites are what a newcomer sees after `npm start`, on embedded PGlite; every other suite runs
 * on PostgreSQL when TEST_DATABASE_URL names one, else on PGlite. What the screens call is tested on both
 * databases by the API and service tests; running each screen twice doubled the slowest tier for no new
 * finding. Suites skip on a machine without Chromium, but never in CI (.ci/run installs it).
 */
export function describeWeb(name: string, suite: (kind: DatabaseKind) => void, opts?: { firstRun?: boolean }): void {
  const d = !hasChromium && !process.env.CI ? describe.skip : describe;
  const kind: DatabaseKind = opts?.firstRun || !testDatabaseKinds.includes('postgres') ? 'pglite' : 'postgres';
  d(`${name} on ${kind}`, () => suite(kind));
}

export interface WebServer {
  baseUrl: string;
  port: number;
  app: FastifyInstance;
  services: Services;
  close: () => Promise<void>;
}

export { freePort };

/**
 * Starts the whole app (every route plus the built web app) on a fresh test
 * database (`kind`, PGlite unless told). `routes` adds test-only plugins;
 * `config` overrides settings.
 */
export async function startWebServer(options: { kind?: DatabaseKind; config?: NodeJS.ProcessEnv; routes?: Array<(app: FastifyInstance) => Promise<void>> } = {}): Promise<WebServer> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const services = await createTestServices(options.kind ?? 'pglite', { config: { TRUSTDESK_PUBLIC_URL: baseUrl, ...options.config } });
  const app = await buildApp({ services, routes: [...appRoutes, ...(options.routes ?? [])], schemaCache: testSchemaCache });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    baseUrl,
    port,
    app,
    services,
    close: async () => {
      // The browser is gone by now; drop any connection it left so close() does not wait on it.
      app.server.closeAllConnections();
      await settleWithin('server close', app.close(), 15_000);
      await settleWithin('database close', services.close(), 15_000);
    },
  };
}

/**
 * Teardown that cannot hang a suite: waits up to `ms`, then says what did not
 * finish and moves on (the tests themselves have already passed or failed).
 */
async function settleWithin(what: string, work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([work.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') console.warn(`[web harness] ${what} did not finish within ${ms} ms; moving on`);
}

/** Closes the browser (and every context in it) within 15 s. */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (browser) await settleWithin('browser close', browser.close(), 15_000);
}

/** The shared Chromium's address inside a vitest run; none outside one (`npm run bench:web` uses the harness too). */
function sharedChromium(): string | undefined {
  try {
    return inject('chromiumWsEndpoint');
  } catch {
    return undefined;
  }
}

/**
 * A connection to the run's shared Chromium (e2e/web/browser.setup.ts), or a
 * browser of its own when there is none. Closing it closes this file's
 * contexts and connection, never the shared browser.
 */
export async function launchBrowser(): Promise<Browser> {
  const endpoint = sharedChromium();
  if (endpoint) return chromium.connect(endpoint);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A browser context signed in as a staff member (cookies from signIn/signInAs). */
export async function staffContext(browser: Browser, server: WebServer, who: SignedIn): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 860 } });
  const cookies = who.headers.cookie.split(/;\s*/).map((pair) => {
    const i = pair.indexOf('=');
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: server.baseUrl };
  });
  await context.addCookies(cookies);
  return context;
}

/** Chromium's virtual authenticator for the page: a platform passkey that always verifies the user (decision 0090 §5). */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

/** Collects Content-Security-Policy violations and uncaught page errors for a page. */
export function watchPage(page: Page): { cspViolations: string[]; pageErrors: string[]; failedResponses: string[] } {
  const seen = { cspViolations: [] as string[], pageErrors: [] as string[], failedResponses: [] as string[] };
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy/i.test(text)) seen.cspViolations.push(text);
  });
  page.on('pageerror', (error) => seen.pageErrors.push(error.message));
  // What the server refused, from the page or any of its frames: said when a wait times out (see `explain`).
  page.on('response', (response) => {
    if (response.status() >= 400) seen.failedResponses.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`);
  });
  page.on('requestfailed', (request) => seen.failedResponses.push(`${request.method()} ${new URL(request.url()).pathname} failed: ${request.failure()?.errorText ?? '?'}`));
  return seen;
}

/**
 * A wait that says, when it times out, what the server refused and what the
 * page (or frame) showed, so a failure under a loaded CI can be read from its log.
 */
export async function explain<T>(wait: Promise<T>, seen: { failedResponses: string[]; pageErrors: string[] }, shown: () => Promise<string>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    const text = await shown().catch(() => '(page text unavailable)');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nrefused: ${seen.failedResponses.join('; ') || 'nothing'}\npage errors: ${seen.pageErrors.join('; ') || 'none'}\nshown: ${text.replace(/\s+/g, ' ').slice(0, 1500)}`, { cause: error });
  }
}

const axeSource = () => readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core's WCAG 2 A/AA rules on the page. The source is evaluated
 * through the DevTools protocol, which the page's CSP does not govern.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource());
  return page.evaluate(async () => {
    // Runs in the page; the test project has no DOM types, so the page's globals are described here.
    const page = globalThis as unknown as { document: unknown; axe: { run: (ctx: unknown, opts: object) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> } };
    const result = await page.axe.run(page.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Writes docs/screenshots/<name>.png when TRUSTDESK_SCREENSHOTS is set (`npm run screenshots`). */
export async function snap(page: Page, name: string): Promise<void> {
  if (!process.env.TRUSTDESK_SCREENSHOTS) return;
  const dir = path.join(root, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

/** The CSRF token of the signed-in page (for tests that call the API from the page, as an attacker would). */
export async function pageFetch(page: Page, method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const me = await fetch('/api/auth/me', { credentials: 'same-origin' }).then((r) => r.json() as Promise<{ csrfToken: string | null }>);
      const response = await fetch(url, {
        method,
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken ?? '' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body: parsed };
    },
    { method, url, body },
  );
}
