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
 * detect+redact separately. Figures, not assertions.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { detectSensitiveData, redactSensitiveData } from '../src/dlp/index.js';

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

function main(): void {
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${new Date().toISOString()}`);
  console.log('single thread; MB = 10^6 bytes of UTF-8 input');
  for (const [name, d] of [['typical', TYPICAL], ['clean', CLEAN], ['dense', DENSE]] as const) {
    const msgs = corpus(42, d, 4_000_000);
    const avg = msgs.reduce((n, m) => n + m.length, 0) / msgs.length;
    const findings = msgs.reduce((n, m) => n + detectSensitiveData(m).length, 0);
    const detect = mbPerS(msgs, (m) => detectSensitiveData(m));
    const redact = mbPerS(msgs, (m) => redactSensitiveData(m));
    console.log(
      `${name.padEnd(8)} ${msgs.length} msgs, avg ${(avg / 1024).toFixed(1)} KB, ${(findings / msgs.length).toFixed(2)} findings/msg | detect ${detect.toFixed(1)} MB/s | detect+redact ${redact.toFixed(1)} MB/s`,
    );
  }
}

main();
