import type { a } from './a.js';
export const b = (): number => 1;
export type A = typeof a;
