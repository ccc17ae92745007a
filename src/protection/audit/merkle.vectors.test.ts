/**
 * Runs every transparency-dev/merkle probe in ../shared/data/merkle-vectors:
 * each must fail verification exactly when it says wantErr.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MerkleProofError, verifyConsistency, verifyInclusion } from './merkle.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const vectorsDir = resolve(repoRoot, '../shared/data/merkle-vectors');

function listJson(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function b64(s: unknown): Buffer {
  return Buffer.from(typeof s === 'string' ? s : '', 'base64');
}

function b64List(v: unknown): Buffer[] {
  return Array.isArray(v) ? v.map(b64) : [];
}

/** Returns the verification error, or undefined when the probe verified. */
function outcome(run: () => void): unknown {
  try {
    run();
    return undefined;
  } catch (err) {
    return err;
  }
}

const inclusionFiles = listJson(join(vectorsDir, 'inclusion'));
const consistencyFiles = listJson(join(vectorsDir, 'consistency'));

describe.skipIf(inclusionFiles.length === 0)('inclusion probes', () => {
  it.each(inclusionFiles.map((f) => [relative(vectorsDir, f), f]))('%s', (_name, file) => {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const err = outcome(() =>
      verifyInclusion({
        index: p.leafIdx as number,
        size: p.treeSize as number,
        leafHash: b64(p.leafHash),
        proof: b64List(p.proof),
        root: b64(p.root),
      }),
    );
    if (p.wantErr === true) expect(err).toBeInstanceOf(MerkleProofError);
    else expect(err).toBeUndefined();
  });
});

describe.skipIf(consistencyFiles.length === 0)('consistency probes', () => {
  it.each(consistencyFiles.map((f) => [relative(vectorsDir, f), f]))('%s', (_name, file) => {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const err = outcome(() =>
      verifyConsistency({
        oldSize: p.size1 as number,
        newSize: p.size2 as number,
        oldRoot: b64(p.root1),
        newRoot: b64(p.root2),
        proof: b64List(p.proof),
      }),
    );
    if (p.wantErr === true) expect(err).toBeInstanceOf(MerkleProofError);
    else expect(err).toBeUndefined();
  });
});

describe('vector folder', () => {
  it.skipIf(!existsSync(vectorsDir))('holds both kinds of probes, happy and tampered', () => {
    expect(inclusionFiles.length).toBeGreaterThan(0);
    expect(consistencyFiles.length).toBeGreaterThan(0);
  });
});
