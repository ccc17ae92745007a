/** Test helper: a downloaded evidence bundle (zip) written to a folder and checked by `trustdesk audit verify --bundle`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { captureIo } from '../../platform/app/testing.js';
import { runCli } from '../../platform/cli/main.js';

export async function verifyBundleZip(zip: Uint8Array, tamper?: (files: Record<string, string>) => void): Promise<{ code: number; text: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'td-incident-bundle-'));
  try {
    const files: Record<string, string> = {};
    let folder = '';
    for (const [name, bytes] of Object.entries(unzipSync(zip))) {
      const [top, file] = name.split('/') as [string, string];
      folder = top;
      files[file] = strFromU8(bytes);
    }
    tamper?.(files);
    mkdirSync(path.join(dir, folder));
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, folder, file), text);
    const io = captureIo({});
    const code = await runCli(['audit', 'verify', '--bundle', path.join(dir, folder)], io.io);
    return { code, text: io.text() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
