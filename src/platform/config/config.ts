/**
 * Configuration: every setting is declared once here with its environment
 * variable, its optional config-file key, its default and its parser. It is
 * validated once at boot; a bad value stops the process with a message that
 * names the setting and the reason (STYLE.md rule 9).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Parser<T> = (raw: string) => T;

interface Setting<T> {
  env: string;
  description: string;
  default: T | (() => T);
  parse: Parser<T>;
  /** Shown as "(secret)" by `config check`, never echoed. */
  secret?: boolean;
}

const int = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^\d+$/.test(raw.trim())) throw new Error(`must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`must be between ${min} and ${max}, got ${n}`);
  return n;
};
const str: Parser<string> = (raw) => raw.trim();
const optionalStr: Parser<string | undefined> = (raw) => (raw.trim() === '' ? undefined : raw.trim());
const bool: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`must be true or false, got "${raw}"`);
};
/**
 * Which reverse proxies may tell the client's address (X-Forwarded-For) and scheme (decision 0227):
 * false (none: the socket's address is the client), a number of proxy hops in front of Trustdesk (`true` is one:
 * only the address the nearest proxy appended is believed, never what a client sent it), or the proxies'
 * addresses and CIDR ranges, comma-separated (`loopback`, `linklocal` and `uniquelocal` name ranges).
 */
export type ProxyTrust = false | number | string[];
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const proxyTrust: Parser<ProxyTrust> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['', '0', 'false', 'no', 'off'].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) return 1;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 10) throw new Error(`must be at most 10 proxy hops, got ${hops}`);
    return hops;
  }
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const item of items) {
    if (PROXY_RANGE_NAMES.includes(item)) continue;
    const [address, bits, ...rest] = item.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 4 ? 32 : 128;
    if (!family || rest.length > 0 || (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > maxBits))) {
      throw new Error(`must be true, false, a number of proxy hops, or proxy addresses/CIDR ranges separated by commas; "${item}" is none of these`);
    }
  }
  return items;
};
const oneOf = <T extends string>(...values: T[]): Parser<T> => (raw) => {
  const v = raw.trim() as T;
  if (!values.includes(v)) throw new Error(`must be one of ${values.join(', ')}, got "${raw}"`);
  return v;
};
const url = (protocols: string[]): Parser<string> => (raw) => {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error('must be a URL');
  }
  if (!protocols.includes(u.protocol)) throw new Error(`must use ${protocols.join(' or ')}, got ${u.protocol}`);
  return raw.trim();
};
const optionalUrl = (protocols: string[]): Parser<string | undefined> => (raw) =>
  raw.trim() === '' ? undefined : url(protocols)(raw);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const settings = {
  host: { env: 'TRUSTDESK_HOST', description: 'Address the HTTP server binds to', default: '127.0.0.1', parse: str },
  port: { env: 'TRUSTDESK_PORT', description: 'HTTP port', default: 3000, parse: int(0, 65535) },
  publicUrl: {
    env: 'TRUSTDESK_PUBLIC_URL',
    description: 'URL users reach Trustdesk at (links in emails)',
    default: '',
    parse: (raw: string) => (raw.trim() === '' ? '' : url(['http:', 'https:'])(raw).replace(/\/+$/, '')),
  },
  dataDir: { env: 'TRUSTDESK_DATA_DIR', description: 'Folder for the embedded database, key file and blobs', default: './data', parse: str },
  databaseUrl: {
    env: 'DATABASE_URL',
    description: 'PostgreSQL server URL; when unset the embedded database in the data folder is used',
    default: undefined,
    parse: optionalUrl(['postgres:', 'postgresql:']),
    secret: true,
  },
  databasePoolSize: { env: 'TRUSTDESK_DATABASE_POOL_SIZE', description: 'PostgreSQL connections per instance', default: 10, parse: int(1, 500) },
  keyProvider: { env: 'TRUSTDESK_KEY_PROVIDER', description: 'Where the key-encryption key comes from: file or env', default: 'file', parse: oneOf('file', 'env') },
  keyFile: { env: 'TRUSTDESK_KEY_FILE', description: 'Local key file (default: <data folder>/trustdesk.key)', default: undefined, parse: optionalStr },
  erasureLedger: {
    env: 'TRUSTDESK_ERASURE_LEDGER',
    description: 'Append-only list of erased customers, replayed when a backup is restored (default with the key file: beside it; keep it apart from backups)',
    default: undefined,
    parse: optionalStr,
  },
  kek: {
    env: 'TRUSTDESK_KEK',
    description: 'Key-encryption keys for the env provider: "id:base64key" entries separated by commas, newest first',
    default: undefined,
    parse: optionalStr,
    secret: true,
  },
  dekCacheSize: { env: 'TRUSTDESK_DEK_CACHE_SIZE', description: 'Unwrapped data keys kept in memory', default: 10_000, parse: int(1, 10_000_000) },
  dekCacheTtlSeconds: { env: 'TRUSTDESK_DEK_CACHE_TTL_SECONDS', description: 'How long an unwrapped data key stays in memory', default: 300, parse: int(1, 86_400) },
  blindIndexPopulation: {
    env: 'TRUSTDESK_BLIND_INDEX_POPULATION',
    description: 'Expected number of customers, used to size blind indexes',
    default: 1_000_000,
    parse: int(2, 10_000_000_000),
  },
  auditOrigin: { env: 'TRUSTDESK_AUDIT_ORIGIN', description: 'Origin line of signed audit checkpoints (default: <public host>/trustdesk/audit)', default: '', parse: str },
  auditCheckpointPublish: {
    env: 'TRUSTDESK_AUDIT_CHECKPOINT_PUBLISH',
    description: 'File or folder (outside the database) every signed audit checkpoint is written to, for `audit verify --since-checkpoint`',
    default: undefined,
    parse: optionalStr,
  },
  auditCheckpointMailTo: { env: 'TRUSTDESK_AUDIT_CHECKPOINT_MAIL_TO', description: 'Addresses (comma-separated) that get the latest signed audit checkpoint by mail; default: the security officers of a single-organisation installation', default: undefined, parse: optionalStr },
  auditCheckpointMailMinutes: { env: 'TRUSTDESK_AUDIT_CHECKPOINT_MAIL_MINUTES', description: 'At most one checkpoint mail per this many minutes (0: none)', default: 60, parse: int(0, 7 * 24 * 60) },
  auditBatchMs: { env: 'TRUSTDESK_AUDIT_BATCH_MS', description: 'How often pending audit entries are sequenced and checkpointed', default: 250, parse: int(10, 60_000) },
  tlsCert: { env: 'TRUSTDESK_TLS_CERT', description: 'TLS certificate (PEM) path; enables HTTPS and HSTS', default: undefined, parse: optionalStr },
  tlsKey: { env: 'TRUSTDESK_TLS_KEY', description: 'TLS private key (PEM) path', default: undefined, parse: optionalStr },
  trustProxy: {
    env: 'TRUSTDESK_TRUST_PROXY',
    description: 'Reverse proxies whose X-Forwarded-For/-Proto are believed: false, true (one proxy hop), a number of hops, or proxy addresses/CIDRs (comma-separated)',
    default: false as ProxyTrust,
    parse: proxyTrust,
  },
  logLevel: { env: 'TRUSTDESK_LOG_LEVEL', description: 'Log level', default: 'info', parse: oneOf(...LOG_LEVELS) },
  sessionIdleMinutes: { env: 'TRUSTDESK_SESSION_IDLE_MINUTES', description: 'Staff session idle timeout', default: 30, parse: int(1, 24 * 60) },
  sessionMaxHours: { env: 'TRUSTDESK_SESSION_MAX_HOURS', description: 'Staff session absolute lifetime', default: 12, parse: int(1, 24 * 30) },
  stepUpMinutes: { env: 'TRUSTDESK_STEP_UP_MINUTES', description: 'How long a fresh second factor allows sensitive actions', default: 10, parse: int(1, 24 * 60) },
  smtpEnabled: { env: 'TRUSTDESK_SMTP_ENABLED', description: 'Run the built-in SMTP server for inbound mail', default: true, parse: bool },
  smtpHost: { env: 'TRUSTDESK_SMTP_HOST', description: 'Address the inbound SMTP server binds to', default: '127.0.0.1', parse: str },
  smtpPort: { env: 'TRUSTDESK_SMTP_PORT', description: 'Inbound SMTP port', default: 2525, parse: int(0, 65535) },
  smtpMaxBytes: { env: 'TRUSTDESK_SMTP_MAX_BYTES', description: 'Largest inbound message accepted', default: 25 * 1024 * 1024, parse: int(1024, 200 * 1024 * 1024) },
  smtpTlsCert: { env: 'TRUSTDESK_SMTP_TLS_CERT', description: 'Certificate (PEM) for STARTTLS on the inbound SMTP server', default: undefined, parse: optionalStr },
  smtpTlsKey: { env: 'TRUSTDESK_SMTP_TLS_KEY', description: 'Private key (PEM) for STARTTLS', default: undefined, parse: optionalStr },
  smtpAuthservIds: { env: 'TRUSTDESK_SMTP_TRUSTED_AUTHSERV_IDS', description: 'Comma-separated authserv-ids of upstream mail servers whose Authentication-Results are trusted', default: '', parse: str },
  relayUrl: {
    env: 'TRUSTDESK_RELAY_URL',
    description: 'Outbound SMTP relay (smtp:// or smtps://user:pass@host:port); unset writes outbound mail to <data>/outbox',
    default: undefined,
    parse: optionalUrl(['smtp:', 'smtps:']),
    secret: true,
  },
  dkimDomain: { env: 'TRUSTDESK_DKIM_DOMAIN', description: 'Sign outbound replies with DKIM for this domain', default: undefined, parse: optionalStr },
  dkimSelector: { env: 'TRUSTDESK_DKIM_SELECTOR', description: 'DKIM selector (the DNS record is <selector>._domainkey.<domain>)', default: undefined, parse: optionalStr },
  dkimKeyFile: { env: 'TRUSTDESK_DKIM_KEY_FILE', description: 'DKIM private key (PEM) path', default: undefined, parse: optionalStr },
  mailFrom: { env: 'TRUSTDESK_MAIL_FROM', description: 'From address of mail Trustdesk sends', default: 'Trustdesk <no-reply@localhost>', parse: str },
  blobDir: { env: 'TRUSTDESK_BLOB_DIR', description: 'Folder for encrypted attachments (default: <data folder>/blobs)', default: undefined, parse: optionalStr },
  allowPrivateWebhooks: { env: 'TRUSTDESK_ALLOW_PRIVATE_OUTBOUND', description: 'Let webhooks and SIEM destinations reach private and loopback addresses', default: false, parse: bool },
  imapIntervalMs: { env: 'TRUSTDESK_IMAP_INTERVAL_MS', description: 'How often this instance looks for pulled IMAP mailboxes to take over (milliseconds; docs/mail-pull.md)', default: 5000, parse: int(100, 300_000) },
  siemIntervalMs: { env: 'TRUSTDESK_SIEM_INTERVAL_MS', description: 'How often the audit trail is streamed to SIEM destinations (milliseconds between passes)', default: 1000, parse: int(50, 60_000) },
  metricsToken: {
    env: 'TRUSTDESK_METRICS_TOKEN',
    description: 'Bearer token that opens /metrics on the main port (at least 24 characters); unset: /metrics answers 404 there',
    default: undefined,
    parse: (raw: string) => {
      const v = optionalStr(raw);
      if (v !== undefined && v.length < 24) throw new Error('must be at least 24 characters');
      return v;
    },
    secret: true,
  },
  metricsPort: {
    env: 'TRUSTDESK_METRICS_PORT',
    description: 'Serve /metrics without a token on this separate port (bind it to an internal address); unset: no separate port',
    default: undefined,
    parse: (raw: string) => (raw.trim() === '' ? undefined : int(1, 65535)(raw)),
  },
  metricsHost: { env: 'TRUSTDESK_METRICS_HOST', description: 'Address the separate metrics port binds to', default: '127.0.0.1', parse: str },
  otlpEndpoint: {
    env: 'TRUSTDESK_OTLP_ENDPOINT',
    description: 'Send OpenTelemetry traces over OTLP/HTTP to this URL (e.g. http://collector:4318/v1/traces); unset: no tracing',
    default: undefined,
    parse: optionalUrl(['http:', 'https:']),
    secret: true,
  },
  otlpHeaders: { env: 'TRUSTDESK_OTLP_HEADERS', description: 'Headers for the trace collector, as name=value pairs separated by commas (an API key)', default: undefined, parse: optionalStr, secret: true },
  traceSampleRatio: {
    env: 'TRUSTDESK_TRACE_SAMPLE_RATIO',
    description: 'Share of new traces kept, from 0 to 1 (requests arriving inside a sampled trace are always kept)',
    default: 1,
    parse: (raw: string) => {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new Error('must be a number from 0 to 1');
      return v;
    },
  },
  redisUrl: { env: 'REDIS_URL', description: 'Redis URL for several instances (presence, fan-out, rate limits)', default: undefined, parse: optionalUrl(['redis:', 'rediss:']), secret: true },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> } & {
  /** Resolved absolute paths. */
  keyFilePath: string;
  dataDirPath: string;
  blobDirPath: string;
};

export const CONFIG_FILE_ENV = 'TRUSTDESK_CONFIG';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Reads the optional JSON config file named by TRUSTDESK_CONFIG; keys are the environment variable names. */
function readConfigFile(file: string, cwd: string): Record<string, string> {
  const full = path.resolve(cwd, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(full, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${CONFIG_FILE_ENV}: cannot read ${full} as JSON (${(err as Error).message})`]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`${CONFIG_FILE_ENV}: ${full} must hold a JSON object of setting names to values`]);
  }
  const known = new Set(Object.values(settings).map((s) => s.env));
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) problems.push(`${CONFIG_FILE_ENV}: unknown setting "${key}" in ${full}`);
    else if (typeof value === 'object' && value !== null) problems.push(`${key} (in ${full}): must be a string, number or boolean`);
    else out[key] = String(value);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = env[CONFIG_FILE_ENV] ? readConfigFile(env[CONFIG_FILE_ENV], cwd) : {};
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as Array<[string, Setting<unknown>]>) {
    const raw = env[setting.env] ?? file[setting.env];
    if (raw === undefined || (raw === '' && setting.default !== undefined)) {
      values[key] = typeof setting.default === 'function' ? (setting.default as () => unknown)() : setting.default;
      continue;
    }
    try {
      values[key] = setting.parse(raw);
    } catch (err) {
      problems.push(`${setting.env}: ${(err as Error).message}`);
    }
  }
  const config = values as Config;
  if (problems.length === 0) problems.push(...crossCheck(config));
  if (problems.length > 0) throw new ConfigError(problems);
  config.dataDirPath = path.resolve(cwd, config.dataDir);
  config.keyFilePath = path.resolve(cwd, config.keyFile ?? path.join(config.dataDir, 'trustdesk.key'));
  config.blobDirPath = path.resolve(cwd, config.blobDir ?? path.join(config.dataDir, 'blobs'));
  if (config.publicUrl === '') {
    const scheme = config.tlsCert ? 'https' : 'http';
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host === '127.0.0.1' ? 'localhost' : config.host;
    config.publicUrl = `${scheme}://${host}:${config.port}`;
  }
  if (config.auditOrigin === '') config.auditOrigin = `${new URL(config.publicUrl).host}/trustdesk/audit`;
  return config;
}

function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
    problems.push(`${settings.tlsCert.env} and ${settings.tlsKey.env}: set both or neither`);
  }
  if (config.keyProvider === 'env' && !config.kek) {
    problems.push(`${settings.kek.env}: required when ${settings.keyProvider.env}=env`);
  }
  const dkim = [config.dkimDomain, config.dkimSelector, config.dkimKeyFile].filter(Boolean).length;
  if (dkim !== 0 && dkim !== 3) {
    problems.push(`${settings.dkimDomain.env}, ${settings.dkimSelector.env} and ${settings.dkimKeyFile.env}: set all three or none`);
  }
  if (Boolean(config.smtpTlsCert) !== Boolean(config.smtpTlsKey)) {
    problems.push(`${settings.smtpTlsCert.env} and ${settings.smtpTlsKey.env}: set both or neither`);
  }
  if (config.auditOrigin.includes('\n')) problems.push(`${settings.auditOrigin.env}: must be a single line`);
  return problems;
}

/** A printable view of the effective configuration, secrets hidden, for `trustdesk config check`. */
export function describeConfig(config: Config): Array<{ setting: string; value: string; description: string }> {
  return (Object.entries(settings) as Array<[keyof Settings, Setting<unknown>]>).map(([key, s]) => {
    const v = config[key];
    return {
      setting: s.env,
      value: s.secret ? (v === undefined ? '(unset)' : '(secret, set)') : v === undefined ? '(unset)' : String(v),
      description: s.description,
    };
  });
}
