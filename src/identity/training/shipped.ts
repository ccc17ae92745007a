/**
 * The modules shipped with Trustdesk: every `modules/*.md` file beside this one, parsed once. They are written to
 * `training_modules` (organisation null) at start-up by `syncShippedModules`; a changed file must carry a new
 * version, since assignments point at the version a person was given.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseModule, type ParsedModule } from './format.js';
import { projectPath } from '../../platform/paths.js';

export const SHIPPED_MODULES_DIR = projectPath('src', 'identity', 'training', 'modules');

export interface ShippedModule {
  file: string;
  source: string;
  module: ParsedModule;
}

let cache: ShippedModule[] | null = null;
let translations: ShippedModule[] | null = null;

/**
 * Shipped translations (decision 0224): `modules/<language>/<id>.md`, each declaring `language:` and the id and
 * version of a module in `modules/`; a bad file throws, naming it.
 */
export function loadShippedTranslations(dir = SHIPPED_MODULES_DIR): ShippedModule[] {
  if (dir === SHIPPED_MODULES_DIR && translations) return translations;
  const out: ShippedModule[] = [];
  for (const sub of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(path.join(dir, sub)).filter((f) => f.endsWith('.md')).sort()) {
      const source = readFileSync(path.join(dir, sub, file), 'utf8');
      let module: ParsedModule;
      try {
        module = parseModule(source);
      } catch (err) {
        throw new Error(`Shipped training module ${sub}/${file}: ${(err as Error).message}`);
      }
      if (module.language !== sub) throw new Error(`Shipped training module ${sub}/${file}: declares language "${module.language}"`);
      out.push({ file: `${sub}/${file}`, source, module });
    }
  }
  if (dir === SHIPPED_MODULES_DIR) translations = out;
  return out;
}

/** Parses every shipped module; a bad file throws, naming it (a test keeps them all valid). */
export function loadShippedModules(dir = SHIPPED_MODULES_DIR): ShippedModule[] {
  if (dir === SHIPPED_MODULES_DIR && cache) return cache;
  const out = readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((file) => {
      const source = readFileSync(path.join(dir, file), 'utf8');
      try {
        return { file, source, module: parseModule(source) };
      } catch (err) {
        throw new Error(`Shipped training module ${file}: ${(err as Error).message}`);
      }
    });
  if (dir === SHIPPED_MODULES_DIR) cache = out;
  return out;
}
