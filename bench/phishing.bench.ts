/**
 * Phishing engine throughput on a synthetic corpus built here (no dependency on shared data).
 *   npm run bench:phishing
 * Prints messages per second for analysis alone (one core) and for parsing + analysis.
 */
import { cpus } from 'node:os';
import { analyzeMessage, parseRawMessage } from '../src/threats/phishing/index.js';
import type { ParsedMessage } from '../src/threats/phishing/index.js';
import { buildContext, buildZip } from '../src/threats/phishing/testing.js';

/** Deterministic generator so every run measures the same corpus. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const WORDS = 'order parcel refund account invoice delivery please thanks question tracking address payment verify password urgent gift card help product return size colour week today'.split(' ');
const DOMAINS = ['acme-corp.com', 'gmail.com', 'examp1e-shop.com', 'paypa1-secure.net', 'newsletter.example.org', 'shop-deals.xyz'];

function buildRaw(i: number, rnd: () => number): Buffer {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const words = Array.from({ length: 80 + Math.floor(rnd() * 400) }, () => pick(WORDS)).join(' ');
  const links = Array.from({ length: Math.floor(rnd() * 30) }, (_, k) => `<a href="https://${pick(DOMAINS)}/p/${k}">${rnd() < 0.2 ? 'paypal.com' : 'Open'}</a>`).join(' ');
  const from = `${pick(['Jane Customer', 'PayPal', 'Alice Martin', 'Support'])} <user${i}@${pick(DOMAINS)}>`;
  const headers = [`From: ${from}`, `To: support@example-shop.com`, `Subject: ${pick(WORDS)} ${pick(WORDS)} #${i}`, `Message-ID: <${i}@bench>`, 'MIME-Version: 1.0'];
  if (i % 10 === 0) {
    const zip = buildZip([{ name: 'invoice.pdf.exe' }, { name: 'readme.txt' }]).toString('base64');
    return Buffer.from(
      [...headers, 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/html; charset=utf-8', '', `<html><body><p>${words}</p>${links}</body></html>`, '--b', 'Content-Type: application/zip; name="docs.zip"', 'Content-Transfer-Encoding: base64', '', zip, '--b--', ''].join('\r\n'),
    );
  }
  if (i % 2 === 0) return Buffer.from([...headers, 'Content-Type: text/html; charset=utf-8', '', `<html><body><p>${words}</p>${links}</body></html>`].join('\r\n'));
  return Buffer.from([...headers, 'Content-Type: text/plain; charset=utf-8', '', words, 'https://acme-corp.com/orders/1'].join('\r\n'));
}

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_MESSAGES ?? 3000);
  const rnd = lcg(42);
  const raws = Array.from({ length: n }, (_, i) => buildRaw(i, rnd));
  const ctx = buildContext();

  let t = performance.now();
  const parsed: ParsedMessage[] = [];
  for (const r of raws) parsed.push(await parseRawMessage(r));
  const parseSeconds = (performance.now() - t) / 1000;

  for (const m of parsed) analyzeMessage(m, ctx); // warm-up
  const rounds = 3;
  t = performance.now();
  const verdicts = { clean: 0, suspicious: 0, phishing: 0 };
  for (let k = 0; k < rounds; k++) for (const m of parsed) verdicts[analyzeMessage(m, ctx).verdict]++;
  const analyzeSeconds = (performance.now() - t) / 1000 / rounds;

  const bytes = raws.reduce((s, r) => s + r.length, 0);
  console.log(`Trustdesk phishing benchmark — ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), single thread`);
  console.log(`corpus: ${n} synthetic messages, ${(bytes / n / 1024).toFixed(1)} KiB average; verdicts over ${rounds} rounds: ${JSON.stringify(verdicts)}`);
  console.log(`analysis alone:      ${(n / analyzeSeconds).toFixed(0)} msgs/s (${((analyzeSeconds / n) * 1e6).toFixed(0)} µs/msg)`);
  console.log(`parsing + analysis:  ${(n / (parseSeconds + analyzeSeconds)).toFixed(0)} msgs/s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
