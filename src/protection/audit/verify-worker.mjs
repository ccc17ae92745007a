// Entry point of an audit verification worker (verify-parallel.ts). A worker thread does not inherit the
// TypeScript loader of the thread that started it, so it registers tsx itself, as bin/trustdesk.js does.
import { register } from 'tsx/esm/api';

register();
await import('./verify-worker.ts');
