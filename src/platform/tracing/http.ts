/**
 * A server span per HTTP request, named by method and route pattern (`GET /api/tickets/:id`), never by URL. The
 * span is made the active context before Fastify's other hooks run, so database and outbound spans made while
 * answering are its children. Registered first by buildApp, and only while tracing is on.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { context, extractContext, SpanKind, SpanStatusCode, startSpan, type SafeAttributes } from './tracing.js';
import type { Span } from '@opentelemetry/api';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function traceRequests(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    const method = METHODS.has(request.method) ? request.method : 'OTHER';
    const route = request.routeOptions.url ?? 'unmatched';
    const attributes: SafeAttributes = { 'http.request.method': method, 'http.route': route };
    const started = startSpan(`${method} ${route}`, attributes, SpanKind.SERVER, extractContext(request.headers));
    if (!started) return done();
    spans.set(request, started.span);
    context.with(started.context, done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      spans.delete(request);
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('error.type', 'aborted');
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      spans.delete(request);
    }
    done();
  });
}
