/**
 * OpenTelemetry traces (docs/tracing.md, decision 0231): spans across HTTP, SMTP ingest, the database
 * and outbound calls, exported over OTLP/HTTP. Off unless TRUSTDESK_OTLP_ENDPOINT is set; while off, every helper
 * here costs one check and creates nothing.
 *
 * The metrics rule holds for traces: no span name or attribute may carry personal data or an id of a customer.
 * Two layers keep it:
 *  - spans are made here and in the few places that call `inSpan`, with names from fixed sets or route patterns,
 *    never URLs, statements, addresses or error messages;
 *  - every span passes through `AllowlistExporter` before it leaves the process: attributes whose key is not in
 *    ALLOWED_ATTRIBUTES, values that look like an address or a UUID, events (exception messages) and status messages
 *    are dropped there, so a future careless `setAttribute` is stopped at the door.
 * Auto-instrumentation packages were not used: they record full URLs, SQL and peer addresses, and PGlite has none.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type AttributeValue, type Context, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';

/** Attribute keys a span may carry out of the process. Values come from fixed sets or configuration, never from customers. */
export const ALLOWED_ATTRIBUTES = new Set([
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'server.address',
  'server.port',
  'db.system.name',
  'db.operation.name',
  'error.type',
  'trustdesk.stage',
  'trustdesk.outcome',
  'trustdesk.queue',
]);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** A span name is a fixed word or a route pattern: letters, digits, spaces and the punctuation of patterns. */
const SAFE_NAME = /^[A-Za-z0-9 _./:*{}-]{1,120}$/;

function safeValue(value: AttributeValue | undefined): value is string | number | boolean {
  if (typeof value === 'number' || typeof value === 'boolean') return true;
  return typeof value === 'string' && value.length <= 200 && !value.includes('@') && !UUID.test(value);
}

/** The span as it may leave the process: allowed attributes only, no events, no status message. */
export function cleanSpan(span: ReadableSpan): ReadableSpan {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (ALLOWED_ATTRIBUTES.has(key) && safeValue(value)) attributes[key] = value;
  }
  const name = SAFE_NAME.test(span.name) && !UUID.test(span.name) && !span.name.includes('@') ? span.name : 'span';
  return {
    name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanContext ? { parentSpanContext: span.parentSpanContext } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes,
    links: span.links.map((l) => ({ context: l.context })),
    events: [],
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount + Object.keys(span.attributes).length - Object.keys(attributes).length,
    droppedEventsCount: span.droppedEventsCount + span.events.length,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Passes spans on to the real exporter only after `cleanSpan`. */
export class AllowlistExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map(cleanSpan), done);
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces. */
  endpoint: string;
  /** Headers the collector wants (an API key), as `name=value` pairs separated by commas. */
  headers?: string | undefined;
  /** Share of new traces kept, 0–1; a request that arrives inside a sampled trace is always kept. */
  sampleRatio?: number;
  serviceVersion?: string;
  /** Tests: export here instead of OTLP (still through the allowlist). */
  exporter?: SpanExporter;
}

let provider: TracerProvider | undefined;

export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/** `a=b,c=d` → headers; a malformed pair is an error at start, not a silent drop. */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error('TRUSTDESK_OTLP_HEADERS: each entry is name=value');
    headers[name] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return headers;
}

/** Registers the tracer provider, the async context and W3C trace-context propagation for this process. */
export function startTracing(options: TracingOptions): void {
  if (provider) throw new Error('tracing is already started');
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: options.endpoint, headers: parseOtlpHeaders(options.headers), timeoutMillis: 10_000 });
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'trustdesk', ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}) }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new AllowlistExporter(exporter), maxQueueSize: 4096, scheduledDelayMillis: 2000 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
}

/** Sends what is buffered (tests, and before a clean exit). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

/** Flushes and unregisters, so the process (or the next test file in it) runs untraced. */
export async function stopTracing(): Promise<void> {
  const p = provider;
  if (!p) return;
  provider = undefined;
  await p.shutdown().catch(() => undefined);
  trace.disable();
  context.disable();
  propagation.disable();
}

function tracer() {
  return trace.getTracer('trustdesk');
}

/** A short, fixed-shape reason for a failure: an error code (ECONNREFUSED, 23505) or the error's class, never its message. */
export function errorType(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_]{2,40}$/.test(code)) return code;
  const name = err instanceof Error ? err.name : '';
  return /^[A-Za-z]{1,40}$/.test(name) ? name : 'unknown';
}

export function failSpan(span: Span, err: unknown): void {
  span.setAttribute('error.type', errorType(err));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

export type SafeAttributes = Record<string, string | number | boolean>;

/**
 * Runs `work` inside a span named `name` (a fixed word or a route pattern), ended when it settles. Untraced, it
 * simply runs `work`. A thrown error marks the span failed with its `errorType` and is rethrown.
 */
export async function inSpan<T>(name: string, attributes: SafeAttributes, work: (span: Span | undefined) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!provider) return work(undefined);
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Starts a span that the caller ends, with `parent` as its context (HTTP and SMTP servers, whose work spans callbacks). */
export function startSpan(name: string, attributes: SafeAttributes, kind: SpanKind, parent: Context = context.active()): { span: Span; context: Context } | undefined {
  if (!provider) return undefined;
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** The trace context of an incoming request's headers (W3C traceparent), or a new root. */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** Adds `traceparent` for the active span to outbound headers (webhooks, SIEM over HTTPS). */
export function injectContext(headers: Record<string, string>): Record<string, string> {
  if (!provider) return headers;
  const out = { ...headers };
  propagation.inject(context.active(), out);
  return out;
}

export { context, SpanKind, SpanStatusCode, ExportResultCode };
