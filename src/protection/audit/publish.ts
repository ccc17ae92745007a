/**
 * Every signed checkpoint leaves the database as it is made, so that deleting
 * the newest entries together with their checkpoints (by someone who owns the
 * database) is caught by `audit verify --since-checkpoint` (decision 0114):
 *   - a file (overwritten with the latest note) or a folder (one note per checkpoint
 *     plus `latest.note`), written atomically;
 *   - mail to the security officers, at most one per interval, with the latest note;
 *   - any further sink registered with `addSink`.
 * (The SIEM stream does not use a sink: it reads checkpoints from `audit_checkpoints` beside the entries they cover,
 * so an unreachable destination gets them later from the same durable cursor; see decision 0193.)
 * Sinks never fail the audit log: errors are logged and the next checkpoint tries again.
 */
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export interface PublishedCheckpoint {
  treeSize: number;
  note: string;
}

export type CheckpointSink = (cp: PublishedCheckpoint) => Promise<void> | void;

export class CheckpointPublisher {
  private readonly sinks: Array<{ name: string; sink: CheckpointSink }> = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly logger?: Logger) {}

  /** Adds a destination (file, mail, SIEM …). */
  addSink(name: string, sink: CheckpointSink): void {
    this.sinks.push({ name, sink });
  }

  /** Publishes in order of creation; resolves when every sink has had it. */
  publish(cp: PublishedCheckpoint): Promise<void> {
    this.chain = this.chain.then(async () => {
      for (const { name, sink } of this.sinks) {
        try {
          await sink(cp);
        } catch (err) {
          this.logger?.error({ err, sink: name, treeSize: cp.treeSize }, 'could not publish an audit checkpoint');
        }
      }
    });
    return this.chain;
  }

  /** Waits for publications in flight (shutdown, tests). */
  idle(): Promise<void> {
    return this.chain;
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
}

/** A folder (existing, or a path ending in "/") gets one file per checkpoint and latest.note; a file gets the latest. */
export function fileSink(target: string): CheckpointSink {
  const isDir = target.endsWith('/') || (() => {
    try {
      return statSync(target).isDirectory();
    } catch {
      return false;
    }
  })();
  return (cp) => {
    if (isDir) {
      mkdirSync(target, { recursive: true });
      writeAtomically(path.join(target, `checkpoint-${String(cp.treeSize).padStart(12, '0')}.note`), cp.note);
      writeAtomically(path.join(target, 'latest.note'), cp.note);
    } else {
      mkdirSync(path.dirname(target), { recursive: true });
      writeAtomically(target, cp.note);
    }
  };
}

export interface MailSinkOptions {
  send: (to: string, subject: string, text: string) => Promise<void>;
  recipients: () => Promise<string[]>;
  intervalMs: number;
  vkey: string;
  now?: () => number;
}

/**
 * At most one mail per interval, always with the latest checkpoint: the first checkpoint is mailed at once, later
 * ones within the interval wait for a timer that mails whichever is newest when it fires.
 */
export function mailSink(options: MailSinkOptions): CheckpointSink & { flush: () => Promise<void> } {
  const now = options.now ?? Date.now;
  let lastSent = -Infinity;
  let pending: PublishedCheckpoint | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function sendLatest(): Promise<void> {
    timer = undefined;
    const cp = pending;
    pending = undefined;
    if (!cp) return;
    lastSent = now();
    const text = [
      'The latest signed checkpoint of the Trustdesk audit trail is below. Keep this mail: it lets anyone check later',
      'that no audit entry up to this point was removed or rewritten, with',
      '',
      '  trustdesk audit verify --since-checkpoint <file holding the note>',
      '',
      `Verifier key: ${options.vkey}`,
      '',
      cp.note.trimEnd(),
      '',
    ].join('\n');
    for (const to of await options.recipients()) await options.send(to, `Audit checkpoint: ${cp.treeSize} entries`, text);
  }

  const sink = async (cp: PublishedCheckpoint) => {
    if (!pending || cp.treeSize > pending.treeSize) pending = cp;
    const wait = lastSent + options.intervalMs - now();
    if (wait <= 0) return sendLatest();
    if (!timer) {
      timer = setTimeout(() => void sendLatest().catch(() => undefined), wait);
      timer.unref();
    }
  };
  return Object.assign(sink, {
    flush: async () => {
      if (timer) clearTimeout(timer);
      await sendLatest();
    },
  });
}
