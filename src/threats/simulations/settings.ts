/**
 * An organisation's simulation settings (decision 0197), one key ("simulations") of organizations.settings:
 * - scannerRanges: CIDR ranges of the organisation's own mail security scanners and link checkers; a click,
 *   a script confirmation or a form entry from one is kept but discounted, naming the range;
 * - banner: the phishing banner a campaign gets unless it chooses otherwise ("as_real" or "none");
 * - language: the language version of a template the organisation's staff are sent, unless a person chose
 *   their own (users.language, migration 0043); a template without that version sends its default one.
 */
import { BlockList, isIP } from 'node:net';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { readOrgSetting, writeOrgSetting } from '../../identity/organization/settings.js';
import type { SimulationBanner } from './schema.js';

export const SETTINGS_KEY = 'simulations';
export const MAX_SCANNER_RANGES = 50;
/** BCP 47-like: a primary language, optional subtags ("en", "de", "pt-BR"). */
export const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/;

export interface SimulationSettings {
  scannerRanges: string[];
  banner: SimulationBanner;
  language: string;
}

export const DEFAULT_SETTINGS: SimulationSettings = { scannerRanges: [], banner: 'as_real', language: 'en' };

export async function readSimulationSettings(db: Executor, orgId: string): Promise<SimulationSettings> {
  const v = (await readOrgSetting(db, orgId, SETTINGS_KEY)) as Partial<SimulationSettings> | undefined;
  return {
    scannerRanges: Array.isArray(v?.scannerRanges) ? v.scannerRanges.filter((r): r is string => typeof r === 'string') : [],
    banner: v?.banner === 'none' ? 'none' : 'as_real',
    language: typeof v?.language === 'string' && LANGUAGE_TAG.test(v.language) ? v.language : 'en',
  };
}

/**
 * A range as written ("203.0.113.0/24", "2001:db8::/32", or one address) made canonical, or an error naming
 * it. Host bits set ("203.0.113.7/24") are refused: the reason shown must say the range that matched.
 */
export function parseRange(input: string): { address: string; bits: number; family: 'ipv4' | 'ipv6'; text: string } {
  const bad = () => new AppError('validation_failed', `"${input.slice(0, 60)}" is not an IP address or CIDR range.`, { extra: { errors: [{ field: 'scannerRanges', message: 'must be IP addresses or CIDR ranges' }] } });
  const [addr, bitsText, ...rest] = input.trim().split('/');
  const version = addr ? isIP(addr) : 0;
  if (!version || rest.length) throw bad();
  const max = version === 6 ? 128 : 32;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) throw bad();
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) throw bad();
  const family = version === 6 ? 'ipv6' : 'ipv4';
  // The network address itself must be the one written (no host bits set below the prefix).
  if (bits < max && version === 4) {
    const n = addr!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    if (n % 2 ** (32 - bits) !== 0) throw bad();
  }
  return { address: addr!, bits, family, text: `${addr!.toLowerCase()}/${bits}` };
}

export function validateSettings(input: SimulationSettings): SimulationSettings {
  if (input.scannerRanges.length > MAX_SCANNER_RANGES) throw new AppError('validation_failed', `At most ${MAX_SCANNER_RANGES} scanner ranges.`);
  if (!LANGUAGE_TAG.test(input.language)) throw new AppError('validation_failed', 'The language must be a language tag such as "en" or "pt-BR".', { extra: { errors: [{ field: 'language', message: 'must be a language tag' }] } });
  const ranges = [...new Set(input.scannerRanges.map((r) => parseRange(r).text))];
  return { scannerRanges: ranges, banner: input.banner, language: input.language };
}

export async function writeSimulationSettings(trx: Executor, orgId: string, value: SimulationSettings): Promise<void> {
  await writeOrgSetting(trx, orgId, SETTINGS_KEY, value);
}

/** The configured range an address is in (the first that matches), or null. IPv4-mapped IPv6 counts as IPv4. */
export function scannerRangeOf(ip: string | null | undefined, ranges: readonly string[]): string | null {
  if (!ip || ranges.length === 0) return null;
  const normalized = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const version = isIP(normalized);
  if (!version) return null;
  for (const r of ranges) {
    let parsed;
    try {
      parsed = parseRange(r);
    } catch {
      continue;
    }
    const block = new BlockList();
    block.addSubnet(parsed.address, parsed.bits, parsed.family);
    if (block.check(normalized, version === 6 ? 'ipv6' : 'ipv4')) return parsed.text;
  }
  return null;
}
