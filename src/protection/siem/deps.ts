/** What the SIEM routes and the background sender share, built from the running services. */
import { readFileSync } from 'node:fs';
import type { Services } from '../../platform/app/services.js';
import type { FormatOptions } from './format.js';
import type { SiemDeps } from './destinations.service.js';
import { projectPath } from '../../platform/paths.js';

let version: string | undefined;
function productVersion(): string {
  version ??= (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version?: string }).version ?? '0';
  return version;
}

/** HOSTNAME of the syslog header: the public URL's host, the same on every instance. */
export function siemFormatOptions(services: Pick<Services, 'config'>): FormatOptions {
  return { hostname: new URL(services.config.publicUrl).hostname, productVersion: productVersion() };
}

export function siemDepsOf(services: Services): SiemDeps {
  return {
    db: services.database.db,
    keyring: services.keyring,
    audit: services.audit,
    // Private and loopback destinations (a relay on the host, an internal collector) need TRUSTDESK_ALLOW_PRIVATE_OUTBOUND.
    outbound: { allowPrivate: services.config.allowPrivateWebhooks },
    format: siemFormatOptions(services),
  };
}
