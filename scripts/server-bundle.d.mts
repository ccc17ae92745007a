export const ROOT: string;
export const SERVER_DIST: string;
export const CURRENT_FILE: string;
export function hashFiles(root: string, files: readonly string[]): string;
export function freshServerBundle(options?: { root?: string; dist?: string; why?: (reason: string) => void }): string | null;
