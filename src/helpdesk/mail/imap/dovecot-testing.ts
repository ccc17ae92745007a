/**
 * A real IMAP server for tests: Debian's dovecot (package dovecot-imapd), started as a foreground process with its
 * own configuration in a temporary folder — passwd-file users, maildirs in the folder, a self-signed certificate made
 * at start, `ssl = required`, implicit TLS and STARTTLS listeners on free ports — and, when asked, an OAuth2 passdb
 * (XOAUTH2) that checks tokens against an introspection URL. It can be killed (SIGKILL) and started again on the
 * same ports and mail. Tests skip when dovecot is not installed (`dovecotAvailable`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, until } from '../../../../e2e/instances.js';

export const DOVECOT_BIN = '/usr/sbin/dovecot';
export const dovecotAvailable = existsSync(DOVECOT_BIN);

export interface DovecotOptions {
  users: Array<{ name: string; password: string }>;
  /** Adds an oauth2 passdb: XOAUTH2 tokens are checked by POSTing them to this URL (RFC 7662 introspection). */
  introspectionUrl?: string;
}

export interface Dovecot {
  dir: string;
  host: string;
  /** Implicit TLS. */
  tlsPort: number;
  /** Plain port where only STARTTLS then sign-in is allowed. */
  starttlsPort: number;
  /** The server's self-signed certificate (PEM), to trust. */
  certPem: string;
  /** SIGKILL, then wait until the process is gone. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function ownerIds(): { uid: number; gid: number; user: string; group: string; loginUser: string } {
  if (process.getuid?.() !== 0) {
    const info = os.userInfo();
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    return { uid: info.uid, gid: info.gid, user: info.username, group, loginUser: info.username };
  }
  // Root: dovecot refuses to run login and mail processes as root; the package's own users serve.
  const uid = Number(execFileSync('id', ['-u', 'dovecot'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'dovecot'], { encoding: 'utf8' }).trim());
  return { uid, gid, user: 'dovecot', group: 'dovecot', loginUser: 'dovenull' };
}

function chownTree(p: string, uid: number, gid: number): void {
  chownSync(p, uid, gid);
  if (statSync(p).isDirectory()) for (const f of readdirSync(p)) chownTree(path.join(p, f), uid, gid);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'td-dovecot-'));
  chmodSync(dir, 0o755);
  const ids = ownerIds();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const certPem = execFileSync('cat', [path.join(dir, 'cert.pem')], { encoding: 'utf8' });
  const [tlsPort, starttlsPort] = [await freePort(), await freePort()];
  mkdirSync(path.join(dir, 'mail'));
  writeFileSync(path.join(dir, 'passwd'), options.users.map((u) => `${u.name}:{PLAIN}${u.password}::::::\n`).join(''));
  const oauth = options.introspectionUrl
    ? `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2.conf.ext
}
`
    : '';
  if (options.introspectionUrl) {
    writeFileSync(
      path.join(dir, 'oauth2.conf.ext'),
      `introspection_mode = post\nintrospection_url = ${options.introspectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\nforce_introspection = yes\n`,
    );
  }
  writeFileSync(
    path.join(dir, 'dovecot.conf'),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = td-${path.basename(dir)}
log_path = ${dir}/dovecot.log
ssl = required
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login${options.introspectionUrl ? ' xoauth2 oauthbearer' : ''}
default_internal_user = ${ids.user}
default_internal_group = ${ids.group}
default_login_user = ${ids.loginUser}
mail_location = maildir:${dir}/mail/%u
mail_uid = ${ids.uid}
mail_gid = ${ids.gid}
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN ${dir}/passwd
}
${oauth}userdb {
  driver = static
  args = uid=${ids.uid} gid=${ids.gid} home=${dir}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = ${starttlsPort}
  }
  inet_listener imaps {
    port = ${tlsPort}
    ssl = yes
  }
}
service anvil {
  chroot =
}
`,
  );
  chownTree(path.join(dir, 'mail'), ids.uid, ids.gid);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    rmSync(path.join(dir, 'run', 'master.pid'), { force: true });
    // Its own process group, so a kill takes every dovecot process (sessions included), as a crash of the host would.
    const p = spawn(DOVECOT_BIN, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: 'ignore', detached: true });
    child = p;
    exited = new Promise((resolve) => p.once('exit', () => resolve()));
    await until('dovecot listening', async () => (await portOpen(tlsPort)) && (await portOpen(starttlsPort)), 15_000);
  };
  const kill = async () => {
    if (!child || child.exitCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
    // The login processes notice their master is gone and leave; until then they hold the listeners.
    await until('dovecot gone', async () => !(await portOpen(tlsPort)), 15_000);
  };
  await start();
  return {
    dir,
    host: '127.0.0.1',
    tlsPort,
    starttlsPort,
    certPem,
    kill,
    start,
    async stop() {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) await kill();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
