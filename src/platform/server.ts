/**
 * `trustdesk start`: opens the services, serves HTTP, prints where, and shuts
 * down gracefully on SIGINT/SIGTERM (stop accepting, finish requests, flush
 * the audit log, close the database).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { runAccessReviewJobs } from '../identity/access-reviews/access-reviews.jobs.js';
import { runTrainingJobs } from '../identity/training/assignments.service.js';
import { sendTrainingReminders } from '../identity/training/reminders.js';
import { sendAttestationReminders } from '../identity/policies/reminders.js';
import { LocalBlobStore } from '../protection/blobs/store.js';
import { createDefaultHooks } from '../helpdesk/ingest/hooks.js';
import { startOutboundWorker } from '../helpdesk/mail/outbound-queue.js';
import { startNotificationWorker } from '../helpdesk/notifications/jobs.js';
import { createInboundSmtpServer, type InboundSmtpServer } from '../helpdesk/mail/smtp-server.js';
import { createMailTransport } from '../helpdesk/mail/transport.js';
import { createHelpdeskDeps } from '../helpdesk/tickets/context.js';
import { resumeRetentionRuns } from '../helpdesk/privacy/retention.js';
import { startScheduledRuns } from '../helpdesk/privacy/retention-schedule.js';
import { syncLedger } from '../helpdesk/privacy/ledger.js';
import { startPeriodic } from './periodic.js';
import { startWebhookWorker } from './webhooks/delivery-queue.js';
import type { Config } from './config/config.js';
import { openServices, type Services } from './app/services.js';
import { sealSenderDataAtRest } from '../threats/phishing-reports/seal.js';
import { siemDepsOf } from '../protection/siem/deps.js';
import { SiemSender } from '../protection/siem/sender.js';
import { ImapPuller } from '../helpdesk/mail/imap/puller.js';
import { createLazySchemaCompilers } from './http/lazy-schemas.js';
import { buildApp } from './http/app.js';
import { appRoutes } from './http/routes.js';
import { createSetupLink, setupNeeded } from '../identity/auth/auth.service.js';
import type { Logger } from './logging.js';
import { collectProcessMetrics } from './metrics/metrics.js';
import { listenMetrics } from './metrics/metrics.routes.js';
import { startTracing, stopTracing } from './tracing/tracing.js';
import { checkOrganizationHosts } from '../identity/organizations/hosts.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  stop(): Promise<void>;
}

export async function startServer(options: { config: Config; logger: Logger; print?: (line: string) => void }): Promise<RunningServer> {
  const { config, logger } = options;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Traces (src/platform/tracing) start before the database opens, so its statements are traced too.
  if (config.otlpEndpoint) startTracing({ endpoint: config.otlpEndpoint, headers: config.otlpHeaders, sampleRatio: config.traceSampleRatio });
  const services = await openServices({ config, logger, migrate: true, sequencer: true });
  let app: FastifyInstance;
  let smtp: InboundSmtpServer | undefined;
  let smtpPort: number | undefined;
  let metrics: { port: number; close: () => Promise<void> } | undefined;
  // Each organisation's own host name must be one this server can answer for (decision 0238): checked before anything starts.
  let organizationHosts: string[];
  try {
    organizationHosts = await checkOrganizationHosts({ db: services.database.db, publicUrl: config.publicUrl, tlsCert: config.tlsCert });
  } catch (err) {
    await services.close();
    throw err;
  }
  collectProcessMetrics();
  // Databases from before migration 0012 still hold list values and known domains in clear: seal them now.
  const sealed = await sealSenderDataAtRest(services.database.db, services.keyring);
  if (sealed.entries || sealed.domains) logger.info(sealed, 'sealed sender list entries and known sender domains kept in clear by an earlier release');
  const helpdesk = await createHelpdeskDeps(services);
  // Outbound mail leaves through a durable queue: retries with backoff survive restarts.
  const dkim =
    config.dkimDomain && config.dkimSelector && config.dkimKeyFile
      ? { domainName: config.dkimDomain, keySelector: config.dkimSelector, privateKey: readFileSync(config.dkimKeyFile, 'utf8') }
      : undefined;
  const outbound = startOutboundWorker(helpdesk, createMailTransport({ relayUrl: config.relayUrl, outboxDir: path.join(config.dataDirPath, 'outbox'), outboxKey: services.outboxKey, dkim }), {
    blobs: new LocalBlobStore(config.blobDirPath),
  });
  // Webhook deliveries go through the one outbound HTTP wrapper, which refuses private addresses unless configured.
  const webhooks = startWebhookWorker({ ...helpdesk, outbound: { allowPrivate: config.allowPrivateWebhooks } });
  // SLA warnings and batched notification emails (src/helpdesk/notifications).
  const notifications = startNotificationWorker({ db: services.database.db, mailer: services.mailer, publicUrl: config.publicUrl, logger });
  // The audit trail streamed to each organisation's SIEM destinations: one sender per destination across instances.
  const siem = new SiemSender({ ...siemDepsOf(services), logger });
  siem.start(config.siemIntervalMs);
  // One set of ingest hooks for SMTP and pulled mail: the organisation's staff, allow/block lists and known senders
  // feed the analysis of every message, whichever way it arrived.
  const inboundHooks = createDefaultHooks({
    trustedAuthservIds: config.smtpAuthservIds.split(',').map((x) => x.trim()).filter(Boolean),
    logger,
    db: services.database.db,
    keyring: services.keyring,
    mailer: services.mailer,
    publicUrl: config.publicUrl,
  });
  const inboundBlobs = new LocalBlobStore(config.blobDirPath);
  // Pulled IMAP mailboxes (docs/mail-pull.md): one poller per mailbox across instances, into the same ingest pipeline.
  const imap = new ImapPuller({
    deps: helpdesk,
    hooks: inboundHooks,
    blobs: inboundBlobs,
    outbound: { allowPrivate: config.allowPrivateWebhooks },
  });
  imap.start(config.imapIntervalMs);
  try {
    // Schemas compile after the server listens (decision 0233): a start does not wait for every route's.
    const lazySchemas = createLazySchemaCompilers();
    app = await buildApp({ services, routes: appRoutes, lazySchemas });
    await app.listen({ host: config.host, port: config.port });
    void lazySchemas.warm({ onError: (route, err) => logger.error({ err, route }, 'a route schema does not compile: its requests fail') });
    if (config.smtpEnabled) {
      smtp = createInboundSmtpServer({
        deps: helpdesk,
        hooks: inboundHooks,
        blobs: inboundBlobs,
        maxBytes: config.smtpMaxBytes,
        tlsCertPath: config.smtpTlsCert,
        tlsKeyPath: config.smtpTlsKey,
      });
      smtpPort = await smtp.listen(config.smtpPort, config.smtpHost);
    }
    if (config.metricsPort !== undefined) metrics = await listenMetrics(services.database.db, logger, config.metricsPort, config.metricsHost);
  } catch (err) {
    await outbound.stop();
    await webhooks.stop();
    await notifications.stop();
    await siem.stop();
    await imap.stop();
    await smtp?.close();
    await metrics?.close();
    await services.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl.replace(/:\d+$/, `:${port}`);
  if (services.createdKeyFile) {
    print(`Created key file ${config.keyFilePath} (owner-only). Back it up apart from the database: without it, encrypted data cannot be read.`);
  }
  print(`Trustdesk is listening on ${url}`);
  print(`  database: ${services.database.kind === 'pglite' ? `embedded (${config.dataDirPath})` : 'PostgreSQL'}`);
  print(`  health:   ${url}/healthz   API docs: ${url}/api/docs`);
  if (smtpPort !== undefined) {
    print(`  inbound mail:  SMTP on ${config.smtpHost}:${smtpPort}, for the mailboxes added under Administration → Email channels (${url}/admin/email)`);
  }
  if (organizationHosts.length) {
    print('  organisations at their own host names:');
    for (const line of organizationHosts) print(`    ${line}`);
  }
  if (metrics) print(`  metrics:  http://${config.metricsHost}:${metrics.port}/metrics (Prometheus, no token: keep this address internal)`);
  else if (config.metricsToken) print(`  metrics:  ${url}/metrics with the bearer token TRUSTDESK_METRICS_TOKEN`);
  if (config.otlpEndpoint) print(`  traces:   OpenTelemetry over OTLP/HTTP to ${new URL(config.otlpEndpoint).host} (sampling ${config.traceSampleRatio})`);
  print(
    config.relayUrl
      ? `  outgoing mail: through the relay ${relayHost(config.relayUrl)}`
      : `  outgoing mail: no relay set (TRUSTDESK_RELAY_URL), so it is kept sealed in ${path.join(config.dataDirPath, 'outbox')}; read it with \`npm run trustdesk -- outbox list\``,
  );
  if (await setupNeeded(services.database.db)) {
    const token = await createSetupLink(services.database.db);
    print('');
    print('First run: open this one-time link (valid 24 hours) to create your organisation and administrator account:');
    print(`  ${url}/setup#token=${token}`);
    print('(Each start prints a new link and cancels the previous one. The same token works with POST /api/setup; see /api/docs.)');
  }

  // Periodic jobs; each is safe on several instances at once.
  const jobs = setInterval(() => {
    runAccessReviewJobs({ db: services.database.db, audit: services.audit, mailer: services.mailer, publicUrl: config.publicUrl, logger }).catch((err: unknown) =>
      logger.error({ err }, 'access review jobs failed'),
    );
    // Training rules for people who joined a team or role since, and re-assignment when a period comes round.
    // Then reminders for assignments due within three days or overdue, one per assignment and kind (decision 0197).
    runTrainingJobs({ db: services.database.db, audit: services.audit })
      .then(() => sendTrainingReminders({ db: services.database.db, mailer: services.mailer, publicUrl: config.publicUrl, logger }))
      // Data-handling policy attestations: one reminder when due, one when overdue, per person and version (decision 0213).
      .then(() => sendAttestationReminders({ db: services.database.db, mailer: services.mailer, publicUrl: config.publicUrl, logger }))
      .catch((err: unknown) => logger.error({ err }, 'training jobs failed'));
  }, 5 * 60_000);
  jobs.unref();
  // Retention runs left unfinished (a restart, an instance that died) are taken up again under a lease (decision 0207).
  let retentionStopping = false;
  const retentionBlobs = new LocalBlobStore(config.blobDirPath);
  const retentionWorker = {
    blobs: retentionBlobs,
    pauseMs: 25,
    stopping: () => retentionStopping,
    erasure: (orgId: string) => ({
      blobs: retentionBlobs,
      ...(config.relayUrl ? {} : { outbox: { dir: path.join(config.dataDirPath, 'outbox'), key: services.outboxKey } }),
      onKeysDestroyed: (keyIds: string[]) => {
        if (keyIds.length) app.bus.publish({ k: 'keys-destroyed', orgId, keyIds });
      },
    }),
  };
  // Scheduled runs that are due are planned first (decision 0218); the worker then works them.
  const stopRetention = startPeriodic(
    async () => {
      // Erasures the ledger lacks (a crash between an erasure's commit and its append), decision 0219.
      if (services.erasureLedger) await syncLedger(services.database.db, services.erasureLedger).catch((err: unknown) => logger.error({ err }, 'erasure ledger sync failed'));
      await startScheduledRuns(helpdesk);
      await resumeRetentionRuns(helpdesk, retentionWorker);
    },
    60_000,
    (err) => logger.error({ err }, 'retention runs failed'),
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(jobs);
      retentionStopping = true;
      stopRetention();
      await smtp?.close();
      await metrics?.close();
      await app.close();
      await outbound.stop();
      await webhooks.stop();
      await notifications.stop();
      await siem.stop();
      await imap.stop();
      await services.close();
      await stopTracing();
    })();
    return stopping;
  };
  return { app, services, url, stop };
}

/** Wires SIGINT/SIGTERM to a graceful stop with a deadline. */
export function stopOnSignals(server: RunningServer, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    deadline.unref();
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** The relay's host and port only: the URL may carry a password. */
function relayHost(relayUrl: string): string {
  try {
    const u = new URL(relayUrl);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unreadable URL)';
  }
}
