/**
 * A real SAML identity provider for the browser tests: Debian's simplesamlphp, served by PHP's built-in web server
 * on a free loopback port from a configuration made in a temporary folder (SIMPLESAMLPHP_CONFIG_DIR): an
 * exampleauth:UserPass source with the given people, a hosted SAML 2.0 IdP signing with a key made at test time
 * (nothing committed) and asserting the AuthnContextClassRef the test chooses (a core:PHP authproc filter sets it in
 * the state, where SimpleSAMLphp reads it), and Trustdesk registered as a remote SP once its metadata is known. `.ci/run` installs
 * `simplesamlphp php-cli php-xml php-mbstring`; without them the suite says so and skips (outside CI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateKeyAndCertificate } from '../../src/identity/sso/x509.js';
import { freePort } from './harness.js';

const WWW = '/usr/share/simplesamlphp/www';

/** Why SimpleSAMLphp cannot run here, or null when it can. */
export function simpleSamlPhpMissing(): string | null {
  try {
    execFileSync('php', ['-r', 'exit(extension_loaded("dom") && extension_loaded("openssl") ? 0 : 1);'], { stdio: 'ignore' });
  } catch {
    return 'php (php-cli with php-xml) is not installed';
  }
  if (!existsSync(path.join(WWW, 'saml2/idp/SSOService.php'))) return `simplesamlphp is not installed (${WWW} is missing)`;
  return null;
}

export interface SimpleSamlPhp {
  baseUrl: string;
  metadataUrl: string;
  /** Registers Trustdesk (entity ID, ACS, encryption certificate body) as a remote SP; assertions encrypted to it. */
  trustSp(sp: { entityId: string; acsUrl: string; certificateBody: string }): void;
  /** The AuthnContextClassRef the IdP asserts from the next sign-in on. */
  assertAuthnContext(classRef: string): void;
  close(): void;
}

const php = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function startSimpleSamlPhp(users: Array<{ username: string; password: string; email: string }>): Promise<SimpleSamlPhp> {
  const port = await freePort();
  // "localhost", as Trustdesk's test server: the IdP's form post back is then same-site, so the Lax binding cookie
  // comes along over plain http (over https Trustdesk sets it SameSite=None).
  const baseUrl = `http://localhost:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'trustdesk-ssp-'));
  for (const sub of ['metadata', 'log', 'data', 'tmp', 'sessions']) mkdirSync(path.join(dir, sub));
  const keys = generateKeyAndCertificate('SimpleSAMLphp test IdP');
  writeFileSync(path.join(dir, 'idp.key'), keys.privateKeyPem, { mode: 0o600 });
  writeFileSync(path.join(dir, 'idp.crt'), keys.certificatePem);
  writeFileSync(
    path.join(dir, 'config.php'),
    `<?php
$config = [
  'baseurlpath' => ${php(`${baseUrl}/`)},
  'certdir' => ${php(`${dir}/`)},
  'loggingdir' => ${php(`${dir}/log/`)},
  'datadir' => ${php(`${dir}/data/`)},
  'tempdir' => ${php(`${dir}/tmp`)},
  'metadatadir' => ${php(`${dir}/metadata/`)},
  'attributenamemapdir' => '/etc/simplesamlphp/attributemap/',
  'secretsalt' => ${php(keys.certificatePem.slice(100, 140))},
  'auth.adminpassword' => ${php(keys.certificatePem.slice(200, 240))},
  'technicalcontact_email' => 'na@example.org',
  'timezone' => 'UTC',
  'enable.saml20-idp' => true,
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
  'store.type' => 'phpsession',
  'session.phpsession.savepath' => ${php(`${dir}/sessions`)},
  'session.cookie.secure' => false,
  'session.cookie.samesite' => null,
  'logging.handler' => 'file',
  'logging.level' => SimpleSAML\\Logger::WARNING,
  'language.available' => ['en'],
  'language.default' => 'en',
  'admin.checkforupdates' => false,
];
`,
  );
  const people = users.map((u) => `  ${php(`${u.username}:${u.password}`)} => ['uid' => [${php(u.username)}], 'email' => [${php(u.email)}]],`).join('\n');
  writeFileSync(path.join(dir, 'authsources.php'), `<?php\n$config = [\n  'admin' => ['core:AdminPassword'],\n  'users' => ['exampleauth:UserPass',\n${people}\n  ],\n];\n`);
  // The class is read from a file at each sign-in (the hosted metadata may be cached by PHP between requests).
  const classFile = path.join(dir, 'authn-context-class');
  const assertAuthnContext = (classRef: string) => writeFileSync(classFile, classRef);
  assertAuthnContext('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');
  writeFileSync(
    path.join(dir, 'metadata/saml20-idp-hosted.php'),
    `<?php\n$metadata['__DYNAMIC:1__'] = ['host' => '__DEFAULT__', 'privatekey' => 'idp.key', 'certificate' => 'idp.crt', 'auth' => 'users', 'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',\n  // SimpleSAMLphp 1.19 asserts the class its state names: an authentication processing filter sets it.\n  'authproc' => [10 => ['class' => 'core:PHP', 'code' => ${php(`$state['saml:AuthnContextClassRef'] = trim(file_get_contents(${php(classFile)}));`)}]],\n];\n`,
  );
  writeFileSync(path.join(dir, 'metadata/saml20-sp-remote.php'), '<?php\n');

  const child: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', WWW], { env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  const close = () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const metadataUrl = `http://127.0.0.1:${port}/saml2/idp/metadata.php`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(metadataUrl).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      close();
      throw new Error(`simplesamlphp did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    metadataUrl: `${baseUrl}/saml2/idp/metadata.php`,
    trustSp(sp) {
      writeFileSync(
        path.join(dir, 'metadata/saml20-sp-remote.php'),
        `<?php\n$metadata[${php(sp.entityId)}] = [\n  'AssertionConsumerService' => ${php(sp.acsUrl)},\n  'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',\n  'simplesaml.nameidattribute' => 'email',\n  'simplesaml.attributes' => true,\n  'saml20.sign.assertion' => true,\n  'saml20.sign.response' => false,\n  'assertion.encryption' => true,\n  'certData' => ${php(sp.certificateBody)},\n];\n`,
      );
    },
    assertAuthnContext,
    close,
  };
}
