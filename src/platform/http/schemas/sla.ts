/**
 * Contract of the SLA policy routes (src/helpdesk/sla/sla.routes.ts, channels.manage):
 * business hours in a time zone, holidays, and first-response and resolution
 * targets per priority. One policy is active at a time.
 */
import { Type } from 'typebox';
import { IdParams, type Endpoint } from './common.js';

/** A target may be at most a year of business minutes. */
export const SLA_MAX_MINUTES = 525_600;
/** ISO weekdays, 1 = Monday … 7 = Sunday. */
export const ISO_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

export const SlaTarget = Type.Object({
  firstResponseMinutes: Type.Integer({ minimum: 1, maximum: SLA_MAX_MINUTES }),
  resolutionMinutes: Type.Integer({ minimum: 1, maximum: SLA_MAX_MINUTES }),
}, { additionalProperties: false });
export const BusinessHours = Type.Object({
  weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }),
  /** Local "HH:MM". */
  start: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
  end: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
}, { additionalProperties: false });
export const SlaTargets = Type.Object({
  low: Type.Optional(SlaTarget),
  normal: Type.Optional(SlaTarget),
  high: Type.Optional(SlaTarget),
  urgent: Type.Optional(SlaTarget),
}, { additionalProperties: false });
export const SlaPolicyBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  /** IANA time zone, e.g. Europe/Berlin (checked on the server). */
  timeZone: Type.String({ minLength: 1, maxLength: 64 }),
  businessHours: BusinessHours,
  /** Dates YYYY-MM-DD on which no business time passes. */
  holidays: Type.Optional(Type.Array(Type.String({ format: 'date' }), { maxItems: 400 })),
  targets: SlaTargets,
  /** Active by default; activating one deactivates the others. */
  active: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export const SlaPolicy = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timeZone: Type.String(),
  businessHours: BusinessHours,
  holidays: Type.Array(Type.String()),
  targets: SlaTargets,
  active: Type.Boolean(),
  updatedAt: Type.String(),
});
export const SlaPolicyList = Type.Object({ items: Type.Array(SlaPolicy) });

export const slaEndpoints = {
  list: { method: 'GET', url: '/api/sla-policies', response: SlaPolicyList },
  create: { method: 'POST', url: '/api/sla-policies', body: SlaPolicyBody, response: SlaPolicy, status: 201 },
  update: { method: 'PUT', url: '/api/sla-policies/:id', params: IdParams, body: SlaPolicyBody, response: SlaPolicy },
  /** Tickets keep the due times they were given; they stop being recomputed from this policy. */
  remove: { method: 'DELETE', url: '/api/sla-policies/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
} as const satisfies Record<string, Endpoint>;
