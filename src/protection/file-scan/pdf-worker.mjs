// Runs in a worker thread with its own heap limit (pdf.ts): a hostile PDF can
// exhaust this worker, never the server. Plain JavaScript so that it loads
// without the TypeScript loader the main thread uses. Receives { bytes,
// maxChars, maxPages } and answers { text, pages, truncated } or { error }.
import { parentPort, workerData } from 'node:worker_threads';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

async function extract({ bytes, maxChars, maxPages }) {
  const doc = await getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  }).promise;
  let text = '';
  let truncated = doc.numPages > maxPages;
  const pages = Math.min(doc.numPages, maxPages);
  for (let p = 1; p <= pages; p++) {
    const page = await doc.getPage(p);
    const content = await page.getTextContent();
    for (const item of content.items) {
      if (typeof item.str !== 'string') continue;
      text += item.str + (item.hasEOL ? '\n' : ' ');
    }
    text += '\n';
    page.cleanup();
    if (text.length > maxChars) {
      text = text.slice(0, maxChars);
      truncated = true;
      break;
    }
  }
  await doc.destroy();
  return { text, pages: doc.numPages, truncated };
}

extract(workerData).then(
  (result) => parentPort.postMessage(result),
  (err) => parentPort.postMessage({ error: err && err.name === 'PasswordException' ? 'encrypted' : 'unreadable' }),
);
