/**
 * Vitest global setup for the browser tests: one Chromium for the whole run
 * (playwright-core's browser server), shared by every browser test file
 * through its WebSocket endpoint. Each file still gets its own connection
 * and contexts, so nothing leaks between files; only the browser start-up,
 * about a second of CPU per file, is saved. Without Chromium nothing starts
 * and the harness launches (or skips) as before.
 */
import { existsSync } from 'node:fs';
import { chromium, type BrowserServer } from 'playwright-core';
import type { TestProject } from 'vitest/node';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.trustdesk.test 127.0.0.1'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared browser server's endpoint, empty when there is none. */
    chromiumWsEndpoint: string;
  }
}

let server: BrowserServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (hasChromium) server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  project.provide('chromiumWsEndpoint', server?.wsEndpoint() ?? '');
}

export async function teardown(): Promise<void> {
  await server?.close();
  server = undefined;
}
