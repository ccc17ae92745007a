/**
 * The scripted installation of the README, as an operator's script runs it:
 * from an empty data folder, only `node bin/trustdesk.js …` — headless setup,
 * a service token, start — then the token provisions a team and a mailbox over
 * the API, a customer's mail arrives over SMTP, and the token reads the ticket.
 * One started instance; the CLI commands run before it (the embedded database
 * has one process at a time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchRoot } from '../src/platform/app/testing.js';
import { freePort, until } from './instances.js';

const root = path.resolve(import.meta.dirname, '..');

function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/trustdesk.js', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scripted installation', () => {
  const dir = mkdtempSync(path.join(scratchRoot, 'trustdesk-install-'));
  let server: ChildProcess | undefined;
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('setup → service token → start → team and mailbox over the API → mail over SMTP → the ticket read with the token', async () => {
    const port = await freePort();
    const smtpPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TRUSTDESK_DATA_DIR: path.join(dir, 'data'),
      TRUSTDESK_PORT: String(port),
      TRUSTDESK_SMTP_PORT: String(smtpPort),
      TRUSTDESK_PUBLIC_URL: `http://127.0.0.1:${port}`,
      TRUSTDESK_LOG_LEVEL: 'warn',
    };
    delete env.DATABASE_URL;

    const setup = await cli(env, ['setup', '--org', 'Tidewater Marine', '--admin', 'it@tidewater.example']);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/Created key file/);
    expect(setup.stdout).toMatch(/slug tidewater-marine/);
    expect(setup.stdout).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/accept-invite#token=tdl_`));

    const issued = await cli(env, ['tokens', 'create', '--service', '--org', 'tidewater-marine', '--name', 'provisioner', '--scopes', 'teams.manage,channels.manage,tickets.read']);
    expect(issued.code, issued.stderr).toBe(0);
    const token = issued.stdout.trim();
    expect(token).toMatch(/^tdt_/);

    let output = '';
    server = spawn(process.execPath, ['bin/trustdesk.js', 'start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await until('trustdesk to listen', () => (/inbound mail: +SMTP/.test(output) ? true : server!.exitCode !== null ? Promise.reject(new Error(output)) : undefined), 90_000).catch((err: unknown) => {
      throw new Error(`trustdesk did not start: ${String(err)}\n${output}`);
    });

    const api = async (method: string, url: string, body?: object) => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const team = await api('POST', '/api/teams', { name: 'Service desk' });
    expect(team.status, JSON.stringify(team.json)).toBe(201);
    const mailbox = await api('POST', '/api/mailboxes', { address: 'help@tidewater.example', name: 'Help', teamId: team.json.id });
    expect(mailbox.status, JSON.stringify(mailbox.json)).toBe(201);

    await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Captain Ahab <ahab@pequod.example>', to: 'help@tidewater.example', subject: 'Bilge pump failure', text: 'The bilge pump stopped at dawn; quinquereme reference 77.',
    });
    const ticketId = await until('the ticket', async () => {
      const list = await api('GET', '/api/tickets');
      return (list.json.items as Array<{ id: string; subject: string }>).find((t) => t.subject === 'Bilge pump failure')?.id;
    }, 15_000);
    const read = await api('GET', `/api/tickets/${ticketId}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.json)).toContain('quinquereme reference 77');
    // The token was given no more than it needed.
    expect((await api('GET', '/api/users')).status).toBe(403);
  }, 240_000);
});
