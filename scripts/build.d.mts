export function inputsHash(): string;
export function buildWeb(options?: { force?: boolean; quiet?: boolean }): Promise<'built' | 'fresh'>;
export function buildServer(options?: { force?: boolean; quiet?: boolean }): Promise<'built' | 'fresh'>;
