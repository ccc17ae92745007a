/**
 * DLP throughput on synthetic support tickets (one core, one thread).
 *
 *   npm run bench:dlp
 *
 * Three corpora of ~1-5 KB messages built from a seeded generator: "typical"
 * (greetings, order numbers, dates, prices, addresses, signatures and PII at
 * the density seen in support mail: a card in ~1 of 25 messages, a phone in
 * ~1 of 5, emails in signatures/quotes), "clean" (the same without PII) and
 * "dense" (several PII items per paragraph). Prints MB/s for detect and for
 * detect+redact separately. Then short messages (decision 0167): chat lines
 * and form fields of 100-200 bytes, where the fixed cost of a call matters
 * more than the bytes, with the redact-pii peer's default SyncRedactor run on
 * the same messages in the same process, per message and in MB/s. Figures,
 * not assertions.
 *
 *   npm run bench:dlp -- [--json] [--short-only]
 *   npm run bench:dlp -- --count-rounds N
 *
 * `--json` prints every figure as one JSON object on the last line. `--count-rounds N` times nothing: it runs
 * detection over the short messages 5 + N times and exits, for an instruction count that the load of a shared
 * machine does not move (decision 0206): the difference between N and 0 rounds under
 * `valgrind --tool=callgrind --separate-threads=yes`, divided by N × 5,000, is the cost of one message.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { detectSensitiveData, redactSensitiveData } from '../src/protection/dlp/index.js';

/** Deterministic PRNG (mulberry32): reproducible corpora, nothing security-related. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const digits = (r: Rand, n: number) => Array.from({ length: n }, () => String(int(r, 0, 9))).join('');

function luhnComplete(prefix: string, length: number, r: Rand): string {
  let body = prefix + digits(r, length - prefix.length - 1);
  for (let d = 0; d <= 9; d++) {
    const cand = body + d;
    let sum = 0;
    for (let i = 0; i < cand.length; i++) {
      let x = Number(cand[cand.length - 1 - i]);
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return cand;
  }
  return body + '0';
}

const FIRST = ['Anna', 'James', 'Priya', 'Lukas', 'Sofia', 'Mohammed', 'Chen', 'Olivia', 'Mateo', 'Aisha', 'Tom', 'Ingrid'];
const LAST = ['Smith', 'Müller', 'Okafor', 'Rossi', 'Nguyen', 'García', 'Johansson', 'Kowalski', 'Brown', 'Dubois'];
const PRODUCTS = ['wireless headphones', 'standing desk', 'espresso machine', 'running shoes', 'winter jacket', 'router', 'yoga mat', 'phone case'];
const STREETS = ['Baker Street', 'Main St', 'Rue de la Paix', 'Hauptstraße', 'Elm Avenue', 'Kings Road', 'Oak Lane'];
const CITIES = ['London', 'Berlin', 'Austin', 'Lyon', 'Dublin', 'Toronto', 'Madrid'];
const FILLER = [
  'I have been a customer for several years and this is the first time something like this has happened.',
  'The package was left at the wrong door and the tracking page still says it is in transit.',
  'Could you please let me know what the next steps are and how long a refund usually takes?',
  'I tried the troubleshooting steps from your help centre article but the problem is still there.',
  'The item arrived damaged: the box was crushed on one side and the screen has a crack in the corner.',
  'I would like to change the delivery address for my subscription starting next month.',
  'Your colleague told me on the phone last week that someone would get back to me within 48 hours.',
  'Please note that I will be travelling between the 3rd and the 17th, so email is the best way to reach me.',
  'The invoice shows a different amount from what was displayed at checkout, about 12.50 more.',
  'I am attaching a screenshot of the error message, it appears right after I press the confirm button.',
  'Thanks for the quick reply yesterday, unfortunately the replacement has the same issue as the original.',
  'Is it possible to combine two orders into one shipment to save on delivery costs?',
];

interface Density {
  card: number;
  phone: number;
  email: number;
  iban: number;
  ssn: number;
  secret: number;
  password: number;
}
const TYPICAL: Density = { card: 0.04, phone: 0.2, email: 0.5, iban: 0.03, ssn: 0.01, secret: 0.01, password: 0.02 };
const CLEAN: Density = { card: 0, phone: 0, email: 0, iban: 0, ssn: 0, secret: 0, password: 0 };
const DENSE: Density = { card: 1, phone: 1, email: 1, iban: 1, ssn: 1, secret: 1, password: 1 };

function pii(r: Rand, d: Density, name: string): string[] {
  const out: string[] = [];
  if (r() < d.card) {
    const n = luhnComplete(pick(r, ['4', '51', '37', '6011']), 16, r);
    out.push(`My card number is ${n.replace(/(\d{4})(?=\d)/g, '$1 ')}, expiry ${int(r, 1, 12)}/${int(r, 26, 30)}.`);
  }
  if (r() < d.phone) out.push(`You can call me on ${pick(r, ['+44 20 7946 0' + digits(r, 3), '(512) 555-0' + digits(r, 3), '+49 30 ' + digits(r, 8), '020 7946 0' + digits(r, 3)])} any time after 5pm.`);
  if (r() < d.iban) out.push('Please refund to my account, IBAN DE89 3704 0044 0532 0130 00.');
  if (r() < d.ssn) out.push(`For the tax form my SSN is ${int(r, 100, 665)}-${int(r, 10, 99)}-${int(r, 1000, 9999)}.`);
  if (r() < d.secret) out.push(`Our integration uses api key: ${Buffer.from(digits(r, 24)).toString('base64')}x9Q and it stopped working.`);
  if (r() < d.password) out.push(`My login is ${name.toLowerCase()} and password: Summer${int(r, 10, 99)}!x`);
  if (r() < d.email) out.push(`Please reply to ${name.toLowerCase().replace(' ', '.')}@example${int(r, 1, 9)}.com rather than my work address.`);
  return out;
}

function message(r: Rand, d: Density): string {
  const name = `${pick(r, FIRST)} ${pick(r, LAST)}`;
  const order = `#${int(r, 100000, 999999)}-${int(r, 10, 99)}`;
  const date = `${int(r, 2023, 2025)}-${String(int(r, 1, 12)).padStart(2, '0')}-${String(int(r, 1, 28)).padStart(2, '0')}`;
  const parts: string[] = [
    `Subject: Re: Order ${order} - ${pick(r, PRODUCTS)}`,
    '',
    `Hello ${pick(r, ['support team', 'there', 'Sarah', 'team'])},`,
    '',
    `I placed order ${order} on ${date} for the ${pick(r, PRODUCTS)} (total €${int(r, 20, 900)}.${digits(r, 2)}).`,
  ];
  const paragraphs = int(r, 2, 12);
  const extras = pii(r, d, name);
  for (let p = 0; p < paragraphs; p++) {
    const sentences = Array.from({ length: int(r, 2, 4) }, () => pick(r, FILLER));
    if (extras.length && r() < 0.5) sentences.push(extras.shift() as string);
    parts.push(sentences.join(' '), '');
  }
  parts.push(...extras);
  parts.push(`Kind regards,`, name, `${int(r, 1, 250)} ${pick(r, STREETS)}, ${pick(r, CITIES)} ${digits(r, 5)}`);
  if (r() < 0.4) parts.push('', `On ${date} at ${int(r, 10, 23)}:${digits(r, 2)}, Support <support@shop.example> wrote:`, `> Ticket ${order}: we have received your request and will reply within 2 business days.`);
  return parts.join('\n');
}

function corpus(seed: number, d: Density, totalBytes: number): string[] {
  const r = prng(seed);
  const out: string[] = [];
  let n = 0;
  while (n < totalBytes) {
    const m = message(r, d);
    out.push(m);
    n += Buffer.byteLength(m);
  }
  return out;
}

function mbPerS(msgs: readonly string[], run: (s: string) => unknown): number {
  const bytes = msgs.reduce((n, m) => n + Buffer.byteLength(m), 0);
  for (const m of msgs) run(m);
  let rounds = 0;
  const t0 = performance.now();
  do {
    for (const m of msgs) run(m);
    rounds++;
  } while (performance.now() - t0 < 2000);
  return (bytes * rounds) / 1e6 / ((performance.now() - t0) / 1000);
}

// ---- short messages ------------------------------------------------------------------------------

const CHAT_OPENERS = ['Hi!', 'Hello,', 'Hey there', 'Good morning,', 'Hi team,', 'Quick question:', 'Thanks for getting back to me.', 'Sorry to bother you again,'];
const CHAT_BODIES = [
  'my order still has not arrived and the tracking page has not changed since Monday.',
  'can I change the size of the jacket I ordered yesterday before it ships?',
  'the discount code from your newsletter says it is invalid at checkout.',
  'I was charged twice for the same order, can you refund one of them?',
  'the app logs me out every time I switch to another screen on my phone.',
  'is the blue version of the standing desk coming back in stock this month?',
  'I would like to cancel my subscription at the end of this billing period.',
  'the parcel was left with a neighbour but I do not know which one.',
];

/** One chat line or form field of 100-200 bytes; PII at the typical density, about one card in 25. */
function shortMessage(r: Rand): string {
  const order = `#${int(r, 100000, 999999)}`;
  const extras = [
    () => `Order ${order}.`,
    () => `Card ${luhnComplete(pick(r, ['4', '51', '37', '6011', '3530']), 16, r).replace(/(\d{4})(?=\d)/g, '$1 ')}`,
    () => `Call me on ${pick(r, ['+44 20 7946 0' + digits(r, 3), '(512) 555-0' + digits(r, 3), '020 7946 0' + digits(r, 3)])}.`,
    () => `Email ${pick(r, FIRST).toLowerCase()}@example.com`,
    () => `Total €${int(r, 10, 300)}.${digits(r, 2)} on ${int(r, 1, 28)}/${int(r, 1, 12)}.`,
  ];
  const weights = [0.3, 0.04, 0.2, 0.15, 0.2];
  let m = `${pick(r, CHAT_OPENERS)} ${pick(r, CHAT_BODIES)}`;
  for (let k = 0; k < extras.length; k++) if (r() < (weights[k] as number)) m += ` ${(extras[k] as () => string)()}`;
  while (Buffer.byteLength(m) < 100) m += ` ${pick(r, CHAT_BODIES)}`;
  while (Buffer.byteLength(m) > 200) m = m.slice(0, m.lastIndexOf(' '));
  return m;
}

interface Rate {
  us_per_msg: number;
  mb_per_s: number;
  cpu_us_per_msg: number;
  cpu_mb_per_s: number;
}

interface ShortFigures {
  messages: number;
  avg_bytes: number;
  detect: Rate;
  detect_redact: Rate;
  peer: ({ name: string } & Rate) | null;
}

/**
 * Wall time, and the process's own CPU time beside it: on a shared machine the wall figure is the one a user
 * feels, the CPU figure the one that compares runs (garbage collection threads count in both).
 */
function rate(msgs: readonly string[], run: (s: string) => unknown): Rate {
  const bytes = msgs.reduce((n, m) => n + Buffer.byteLength(m), 0);
  for (const m of msgs) run(m);
  let rounds = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  do {
    for (const m of msgs) run(m);
    rounds++;
  } while (performance.now() - t0 < 2000);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    us_per_msg: round((ms * 1000) / (rounds * msgs.length), 2),
    mb_per_s: round((bytes * rounds) / 1e6 / (ms / 1000), 1),
    cpu_us_per_msg: round((cpuMs * 1000) / (rounds * msgs.length), 2),
    cpu_mb_per_s: round((bytes * rounds) / 1e6 / (cpuMs / 1000), 1),
  };
}

interface PeerModule {
  SyncRedactor: new () => { redact(text: string): string };
}

function loadPeer(): PeerModule | undefined {
  try {
    return createRequire(import.meta.url)('redact-pii') as PeerModule;
  } catch {
    return undefined;
  }
}

function shortMessages(): ShortFigures {
  const r = prng(7);
  const msgs = Array.from({ length: 5000 }, () => shortMessage(r));
  const avg = msgs.reduce((n, m) => n + Buffer.byteLength(m), 0) / msgs.length;
  const peer = loadPeer();
  const redactor = peer ? new peer.SyncRedactor() : undefined;
  return {
    messages: msgs.length,
    avg_bytes: Math.round(avg),
    detect: rate(msgs, (m) => detectSensitiveData(m)),
    detect_redact: rate(msgs, (m) => redactSensitiveData(m)),
    peer: redactor ? { name: 'redact-pii SyncRedactor (default)', ...rate(msgs, (m) => redactor.redact(m)) } : null,
  };
}

/** Detection only, 5 warm-up rounds and then `rounds` more over the short messages: for callgrind. */
function countRounds(rounds: number): void {
  const r = prng(7);
  const msgs = Array.from({ length: 5000 }, () => shortMessage(r));
  let findings = 0;
  for (let k = 0; k < 5 + rounds; k++) for (const m of msgs) findings += detectSensitiveData(m).length;
  console.log(JSON.stringify({ count_rounds: rounds, warm_up_rounds: 5, messages: msgs.length, findings }));
}

function main(): void {
  const at = process.argv.indexOf('--count-rounds');
  if (at > 0) return countRounds(Number(process.argv[at + 1] ?? 0));
  const json = process.argv.includes('--json');
  const shortOnly = process.argv.includes('--short-only');
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${new Date().toISOString()}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('single thread; MB = 10^6 bytes of UTF-8 input');
  const tickets: Record<string, { messages: number; avg_kb: number; findings_per_msg: number; detect_mb_per_s: number; detect_redact_mb_per_s: number }> = {};
  for (const [name, d] of shortOnly ? [] : ([['typical', TYPICAL], ['clean', CLEAN], ['dense', DENSE]] as const)) {
    const msgs = corpus(42, d, 4_000_000);
    const avg = msgs.reduce((n, m) => n + m.length, 0) / msgs.length;
    const findings = msgs.reduce((n, m) => n + detectSensitiveData(m).length, 0);
    const detect = mbPerS(msgs, (m) => detectSensitiveData(m));
    const redact = mbPerS(msgs, (m) => redactSensitiveData(m));
    tickets[name] = { messages: msgs.length, avg_kb: Math.round(avg / 102.4) / 10, findings_per_msg: Math.round((findings / msgs.length) * 100) / 100, detect_mb_per_s: Math.round(detect * 10) / 10, detect_redact_mb_per_s: Math.round(redact * 10) / 10 };
    console.log(
      `${name.padEnd(8)} ${msgs.length} msgs, avg ${(avg / 1024).toFixed(1)} KB, ${(findings / msgs.length).toFixed(2)} findings/msg | detect ${detect.toFixed(1)} MB/s | detect+redact ${redact.toFixed(1)} MB/s`,
    );
  }
  const short = shortMessages();
  const fmt = (f: Rate) => `${f.us_per_msg.toFixed(2)} µs/msg, ${f.mb_per_s.toFixed(1)} MB/s (CPU time: ${f.cpu_us_per_msg.toFixed(2)} µs/msg, ${f.cpu_mb_per_s.toFixed(1)} MB/s)`;
  console.log(`short    ${short.messages} msgs of 100-200 B (avg ${short.avg_bytes} B) | detect ${fmt(short.detect)} | detect+redact ${fmt(short.detect_redact)}`);
  console.log(`short    peer ${short.peer ? `${short.peer.name}: ${fmt(short.peer)}` : 'redact-pii not installed'}`);
  if (json) console.log(JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, loadavg: os.loadavg(), date: new Date().toISOString(), tickets, short }));
}

main();
