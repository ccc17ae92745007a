/** `trustdesk audit …`: verify the trail (live or from a bundle), export a bundle, show the latest checkpoint. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportBundle, isProofBundle, openBundle, openProofBundle, readStoredCheckpoints } from '../../protection/audit/trail-io.js';
import { parseVerifierKey } from '../../protection/audit/checkpoint.js';
import { verifyAuditTrail, verifyEntryProofs, type VerifyReport } from '../../protection/audit/verify.js';
import { hashStoredEntriesInParallel } from '../../protection/audit/verify-parallel.js';
import { findOrganization } from '../../identity/organizations/lifecycle.js';
import { exportOrganizationBundle } from '../../protection/audit/org-export.js';
import { AppError } from '../errors.js';
import { CliExit, withServices, type CliIo } from './io.js';

function printReport(io: CliIo, report: VerifyReport, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(report));
  } else {
    io.out(`entries: ${report.entries}; signed checkpoints: ${report.checkpoints}; latest signed size: ${report.latestSignedSize}; not yet signed: ${report.unsignedEntries}`);
    if (report.pinned) io.out(`pinned checkpoint: ${report.pinned.size} entries; ${report.pinned.consistent ? 'the log is an extension of it' : 'the log is NOT an extension of it'}`);
    for (const p of report.problems) io.out(`PROBLEM${p.index === null ? '' : ` at index ${p.index}`}: ${p.message}`);
    io.out(report.ok ? 'OK: the audit trail is intact.' : 'FAILED: the audit trail was altered.');
  }
  if (!report.ok) {
    const first = report.problems.find((p) => p.index !== null)?.index;
    throw new CliExit(3, first === undefined || first === null ? 'audit verification failed' : `audit verification failed; first bad index: ${first}`);
  }
}

/**
 * Checkpoints name their log in their first line: `<public host>/trustdesk/audit` unless TRUSTDESK_AUDIT_ORIGIN says
 * otherwise. When every stored checkpoint names one log and this command runs as another (the CLI started without
 * the servers' TRUSTDESK_PUBLIC_URL), none of them can be checked: that is a setting to fix, not evidence of
 * tampering, and nothing is reported as intact either. Checkpoints that disagree among themselves are judged.
 */
function refuseForeignOrigin(checkpoints: ReadonlyArray<{ note: string }>, vkey: string): void {
  if (checkpoints.length === 0) return;
  const expected = parseVerifierKey(vkey).name;
  const named = new Set(checkpoints.map((c) => c.note.split('\n', 1)[0] ?? ''));
  if (named.size !== 1 || named.has(expected)) return;
  const [stored] = [...named];
  throw new CliExit(
    2,
    `trustdesk: the stored checkpoints are signed for the log ${JSON.stringify(stored)}, but this command runs as ${JSON.stringify(expected)}. ` +
      `Run it with the servers' TRUSTDESK_PUBLIC_URL (or TRUSTDESK_AUDIT_ORIGIN=${JSON.stringify(stored)}). Nothing was verified.`,
  );
}

/** A pinned checkpoint: the note itself (it has several lines) or a file holding it. */
function readPinnedCheckpoint(value: string): string {
  if (value.includes('\n')) return value.endsWith('\n') ? value : `${value}\n`;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new CliExit(2, `trustdesk: cannot read the pinned checkpoint ${value}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export function auditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('The tamper-evident audit trail');

  audit
    .command('verify')
    .description('Recompute the Merkle tree from the stored entries and check every signed checkpoint')
    .option('--bundle <dir>', 'verify an exported bundle offline, with no database')
    .option('--vkey <key>', 'the verifier key you trust (default: the one in the bundle, or the installation key)')
    .option('--since-checkpoint <file-or-note>', 'a signed checkpoint kept outside the database (a file, or the note text): the log must extend it')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { bundle?: string; vkey?: string; json?: boolean; sinceCheckpoint?: string }) => {
      const started = Date.now();
      const pinnedNote = opts.sinceCheckpoint === undefined ? undefined : readPinnedCheckpoint(opts.sinceCheckpoint);
      const pinned = pinnedNote === undefined ? {} : { pinnedNote };
      if (opts.bundle && isProofBundle(opts.bundle)) {
        // Selected entries with inclusion proofs (an incident's evidence bundle).
        let bundle;
        try {
          bundle = openProofBundle(opts.bundle);
        } catch (err) {
          throw new CliExit(3, `the bundle is malformed: ${(err as Error).message}`);
        }
        const vkey = opts.vkey ?? bundle.vkey;
        if (!opts.json) io.out(`verifier key: ${vkey}${opts.vkey ? '' : ' (from the bundle: compare it with the key you pinned)'}`);
        if (pinnedNote !== undefined) throw new CliExit(2, 'trustdesk: --since-checkpoint needs a whole-trail bundle; this one holds selected entries with inclusion proofs');
        const report = verifyEntryProofs({ entries: bundle.entries, checkpoints: bundle.checkpoints, vkey, expected: bundle.expected });
        if (!opts.json) io.out(`selected entries with inclusion proofs: ${report.entries}`);
        printReport(io, report, Boolean(opts.json));
        return;
      }
      if (opts.bundle) {
        const bundle = openBundle(opts.bundle);
        const vkey = opts.vkey ?? bundle.vkey;
        if (!opts.json) io.out(`verifier key: ${vkey}${opts.vkey ? '' : ' (from the bundle: compare it with the key you pinned)'}`);
        const report = await verifyAuditTrail({ entries: bundle.entries, checkpoints: bundle.checkpoints, vkey, ...pinned });
        if (!opts.json) io.out(`verified in ${((Date.now() - started) / 1000).toFixed(2)} s`);
        printReport(io, report, Boolean(opts.json));
        return;
      }
      await withServices(io, async ({ database, audit: log }) => {
        const db = database.db;
        if (opts.vkey && opts.vkey !== log.vkey) {
          throw new CliExit(3, `the installation's audit key (${log.vkey}) is not the one you pinned`);
        }
        const checkpoints = await readStoredCheckpoints(db);
        refuseForeignOrigin(checkpoints, log.vkey);
        const macKey = log.macKeyForVerification();
        const report = await verifyAuditTrail({
          chunks: hashStoredEntriesInParallel({ database, macKey, signedSizes: checkpoints.map((c) => c.treeSize) }),
          checkpoints,
          vkey: log.vkey,
          macKey,
          ...pinned,
          onProgress: (n) => (opts.json ? undefined : io.out(`  ${n} entries…`)),
        });
        if (!opts.json) io.out(`verified in ${((Date.now() - started) / 1000).toFixed(2)} s`);
        printReport(io, report, Boolean(opts.json));
      });
    });

  audit
    .command('export')
    .description('Write a bundle (entries, signed checkpoints, public key) that anyone can verify offline')
    .requiredOption('--out <dir>', 'folder to write')
    .option('--org <org>', 'only this organisation\'s entries (id or slug), each with its inclusion proof: for its own auditors')
    .action(async (opts: { out: string; org?: string }) => {
      await withServices(io, async ({ database, audit: log }) => {
        await log.flush();
        if (opts.org !== undefined) {
          let org;
          try {
            org = await findOrganization(database.db, opts.org);
          } catch (err) {
            if (err instanceof AppError) throw new CliExit(1, `trustdesk: ${err.message} See: trustdesk orgs list`);
            throw err;
          }
          const r = await exportOrganizationBundle({ database, dir: opts.out, vkey: log.vkey, orgId: org.id, orgName: org.name });
          await log.record({ orgId: org.id, actor: { type: 'system', id: 'cli' }, requestId: 'cli', sourceIp: null, action: 'audit.export', object: { type: 'organization', id: org.id }, result: 'success', details: { entries: r.entries, pending: r.pending, treeSize: r.treeSize } });
          await log.flush();
          io.out(`Exported ${r.entries} entries of ${org.name} (${org.slug}), each with its inclusion proof against the signed checkpoint of ${r.treeSize} entries, to ${opts.out}`);
          if (r.pending) io.out(`${r.pending} newer entries are not in a signed checkpoint yet: they will be in the next export.`);
          io.out(`Verify with: trustdesk audit verify --bundle ${opts.out} --vkey '${log.vkey}'`);
          return;
        }
        const r = await exportBundle({ database, dir: opts.out, vkey: log.vkey });
        io.out(`Exported ${r.entries} entries and ${r.checkpoints} checkpoints to ${opts.out}`);
        io.out(`Verify with: trustdesk audit verify --bundle ${opts.out} --vkey '${log.vkey}'`);
      });
    });

  audit
    .command('checkpoint')
    .description('Sequence pending entries and print the latest signed checkpoint and the verifier key')
    .action(async () => {
      await withServices(io, async ({ audit: log }) => {
        await log.flush();
        const cp = await log.latestCheckpoint();
        io.out(`verifier key: ${log.vkey}`);
        io.out(cp ? cp.note.trimEnd() : '(no entries yet)');
      });
    });
}
