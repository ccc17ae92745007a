/**
 * `trustdesk import zendesk|freescout <folder> --org <id|name> [--dry-run]`: moving in from another helpdesk
 * (src/helpdesk/import, decision 0161). A progress bar on a terminal (plain lines otherwise), a summary at the
 * end. Exit codes: 0 everything imported (or already there), 1 finished with problems (records not imported,
 * attachments missing, the file stopped early: what was complete is imported, a re-run resumes), 2 could not
 * start (no such folder or organisation, files missing).
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { ExportLayoutError } from '../../helpdesk/import/files.js';
import { openFreeScoutExport } from '../../helpdesk/import/freescout.js';
import { addProblem, emptyReport, runImport, type ImportProgress, type ImportReport } from '../../helpdesk/import/importer.js';
import type { ExportSource } from '../../helpdesk/import/model.js';
import { openZendeskExport } from '../../helpdesk/import/zendesk.js';
import { LocalBlobStore } from '../../protection/blobs/store.js';
import { isDatabaseUnavailable } from '../db/database.js';
import { CliExit, defaultIo, withServices, type CliIo } from './io.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAMES = { zendesk: 'Zendesk', freescout: 'FreeScout' } as const;

export function importCommands(program: Command, io: CliIo): void {
  const cmd = program.command('import').description('Move in from another helpdesk: its export, through the same protection as live mail');
  for (const source of ['zendesk', 'freescout'] as const) {
    cmd
      .command(source)
      .description(`Import a ${NAMES[source]} export folder (see the README, "Moving in")`)
      .argument('<folder>', 'the export folder')
      .requiredOption('--org <id|name>', 'the organisation to import into')
      .option('--dry-run', 'read and check everything, report what would be imported, write nothing')
      .action(async (folder: string, opts: { org: string; dryRun?: boolean }) => {
        const code = await importCommand(io, source, folder, opts.org, opts.dryRun === true);
        if (code !== 0) throw new CliExit(code, 'trustdesk: the import finished with problems (listed above).');
      });
  }
}

async function importCommand(io: CliIo, source: 'zendesk' | 'freescout', folder: string, org: string, dryRun: boolean): Promise<number> {
  const dir = path.resolve(folder);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new CliExit(2, `trustdesk: ${dir} is not a folder. Give the folder that holds the ${NAMES[source]} export.`);
  return withServices(io, async (services) => {
    const db = services.database.db;
    const matches = await db
      .selectFrom('organizations')
      .where((eb) => (UUID.test(org) ? eb.or([eb('id', '=', org), eb('name', '=', org)]) : eb('name', '=', org)))
      .select(['id', 'name'])
      .limit(2)
      .execute();
    if (matches.length === 0) throw new CliExit(2, `trustdesk: no organisation "${org}". Give its id or its exact name.`);
    if (matches.length > 1) throw new CliExit(2, `trustdesk: several organisations are named "${org}"; give the id instead.`);
    const target = matches[0] as { id: string; name: string };
    const report = emptyReport(source, dryRun);
    let exportSource: ExportSource;
    try {
      const problem = (m: string) => addProblem(report, m);
      exportSource = source === 'zendesk' ? await openZendeskExport(dir, problem) : await openFreeScoutExport(dir, problem);
    } catch (err) {
      if (err instanceof ExportLayoutError) throw new CliExit(2, `trustdesk: ${err.message}`);
      throw err;
    }
    io.out(`${dryRun ? 'Dry run: reading' : 'Importing'} the ${NAMES[source]} export in ${dir} into "${target.name}"${dryRun ? ' (nothing will be written)' : ''}.`);
    const progress = createProgress(io);
    // A dry run must not even create the installation's mail key on a fresh database: throwaway keys serve it.
    const deps: HelpdeskDeps = dryRun
      ? { db, keyring: services.keyring, audit: services.audit, logger: services.logger, mailKeys: { replyToken: randomBytes(32), messageId: randomBytes(32) }, messageIdHost: 'dry-run.invalid', mailFrom: services.config.mailFrom, publicUrl: services.config.publicUrl.replace(/\/+$/, '') }
      : await createHelpdeskDeps(services);
    try {
      await runImport(deps, { orgId: target.id, source: exportSource, dryRun, blobs: new LocalBlobStore(services.config.blobDirPath), maxAttachmentBytes: services.config.smtpMaxBytes, onProgress: progress.update }, report);
    } catch (err) {
      progress.finish();
      if (isDatabaseUnavailable(err)) {
        for (const line of summary(report)) io.out(line);
        throw new CliExit(1, 'trustdesk: the database went away during the import. Everything counted above is stored; run the same command again to continue.');
      }
      throw err;
    }
    progress.finish();
    for (const line of summary(report)) io.out(line);
    return report.failed > 0 || report.stoppedEarly || report.limitReached || report.problems.length > 0 ? 1 : 0;
  });
}

/** The end-of-run summary (no customer data: counts, source ids and field names only). */
export function summary(r: ImportReport): string[] {
  const would = r.dryRun ? 'would be ' : '';
  const lines = [
    `${r.dryRun ? 'Dry run, nothing written. ' : ''}${NAMES[r.source]} import summary:`,
    `  tickets      ${r.imported} ${would}imported, ${r.alreadyImported} already imported earlier, ${r.leftOut} left out (deleted, spam or drafts), ${r.failed} not imported`,
    `  messages     ${r.messages.public} public, ${r.messages.internal} internal notes`,
    `  customers    ${r.customers.new} new, ${r.customers.matched} matched to existing customers by email`,
    `  attachments  ${r.attachments.stored} stored, ${r.attachments.withheld} withheld (they hold data that is never stored), ${r.attachments.tooLarge} too large (recorded without contents), ${r.attachments.missing} missing, ${r.attachments.dangerous} marked dangerous`,
    `  redactions   ${r.redactions} sensitive value(s) redacted on the way in`,
  ];
  if (r.stoppedEarly) lines.push(`Stopped early: ${r.stoppedEarly}`);
  if (r.limitReached) {
    lines.push(`Stopped at an organisation limit: ${r.limitReached}`);
    lines.push(`The tickets counted above are stored; the one it stopped at was not (nothing of it was kept). Once the limit is raised (trustdesk orgs limits ORG --storage SIZE), run the same command again: what was imported is skipped.`);
  }
  if (r.problems.length) {
    lines.push(`Problems (${r.problems.length + r.moreProblems}):`);
    for (const p of r.problems) lines.push(`  - ${p}`);
    if (r.moreProblems) lines.push(`  … and ${r.moreProblems} more.`);
  }
  if (!r.dryRun && (r.failed || r.stoppedEarly)) lines.push('Fix the export and run the same command again: what was imported is skipped.');
  return lines;
}

/** One line of progress: a bar by bytes read, counts and rate. */
export function renderProgress(p: ImportProgress, elapsedMs: number, width = 24): string {
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
  const filled = Math.round(fraction * width);
  const rate = elapsedMs > 0 ? Math.round((p.records * 1000) / elapsedMs) : 0;
  const extra = [p.skipped ? `${p.skipped} skipped` : '', p.failed ? `${p.failed} failed` : ''].filter(Boolean).join(', ');
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${p.imported} imported  ${rate}/s${extra ? `  (${extra})` : ''}`;
}

function createProgress(io: CliIo): { update: (p: ImportProgress) => void; finish: () => void } {
  const started = Date.now();
  const tty = io === defaultIo && process.stderr.isTTY === true;
  let last = 0;
  let lastLine = '';
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (tty) {
        if (now - last < 100) return;
        last = now;
        lastLine = renderProgress(p, now - started);
        process.stderr.write(`\r${lastLine}`);
        drawn = true;
        return;
      }
      // Not a terminal: a plain line every 5 seconds.
      if (now - last < 5000) return;
      if (last === 0) {
        last = now;
        return;
      }
      last = now;
      io.err(`progress: ${p.records} records read, ${p.imported} imported, ${p.skipped} skipped, ${p.failed} failed`);
    },
    finish() {
      if (tty && drawn) process.stderr.write('\n');
    },
  };
}
