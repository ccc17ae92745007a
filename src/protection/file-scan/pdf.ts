/**
 * Text of a PDF, read by pdf.js (pdfjs-dist, Mozilla's reader) in a worker
 * thread with a heap limit and a wall-clock limit: a PDF built to exhaust
 * memory or loop ends that worker, and the caller learns the file could not be
 * read. Nothing from the file runs as code (no eval, no fonts loaded).
 */
import { Worker } from 'node:worker_threads';

export interface PdfLimits {
  timeoutMs: number;
  maxHeapMb: number;
  maxChars: number;
  maxPages: number;
}

export const DEFAULT_PDF_LIMITS: PdfLimits = { timeoutMs: 15_000, maxHeapMb: 256, maxChars: 2_000_000, maxPages: 500 };

export type PdfText = { ok: true; text: string; truncated: boolean } | { ok: false; reason: 'encrypted' | 'unreadable' | 'timeout' | 'resources' };

export function extractPdfText(bytes: Uint8Array, limits: PdfLimits = DEFAULT_PDF_LIMITS): Promise<PdfText> {
  return new Promise((resolve) => {
    let settled = false;
    const worker = new Worker(new URL('./pdf-worker.mjs', import.meta.url), {
      workerData: { bytes, maxChars: limits.maxChars, maxPages: limits.maxPages },
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    const finish = (r: PdfText) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), limits.timeoutMs);
    worker.on('message', (m: { text?: string; truncated?: boolean; error?: 'encrypted' | 'unreadable' }) => {
      if (m.error) finish({ ok: false, reason: m.error });
      else finish({ ok: true, text: m.text ?? '', truncated: m.truncated === true });
    });
    worker.on('error', (err: Error & { code?: string }) => finish({ ok: false, reason: err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'resources' : 'unreadable' }));
    worker.on('exit', () => finish({ ok: false, reason: 'unreadable' }));
  });
}
