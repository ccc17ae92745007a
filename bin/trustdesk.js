#!/usr/bin/env node
// Runs the server bundle when it was built from the sources as they are now (scripts/build.mjs, decision 0232;
// `npm start` builds it), and the TypeScript sources directly through tsx otherwise, so a fresh clone needs no
// build step and an edited checkout never runs old code. TRUSTDESK_FROM_SOURCE=1 always runs the sources.
import { freshServerBundle } from '../scripts/server-bundle.mjs';

const bundle = process.env.TRUSTDESK_FROM_SOURCE === '1' ? null : freshServerBundle();
let runCli;
if (bundle) {
  ({ runCli } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../src/platform/cli/main.ts'));
}
const code = await runCli(process.argv.slice(2));
if (code !== 0) process.exit(code);
