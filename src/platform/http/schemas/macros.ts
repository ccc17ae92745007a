/**
 * Contract of the macro routes (src/helpdesk/macros/macros.routes.ts): the library of
 * canned replies (list under tickets.write; create, change and delete under
 * macros.manage) and, on a ticket, preview and apply (tickets.write). The
 * administration screen and the reply composer build their requests with these
 * schemas (decision 0090 §2).
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';
import { TICKET_PRIORITIES, TICKET_STATUSES } from './tickets.js';

export const MACRO_BODY_MAX_CHARS = 20_000;
export const MACRO_SEND_MODES = ['reply', 'note', 'none'] as const;

const Tag = Type.String({ minLength: 1, maxLength: 64 });
export const MacroActions = Type.Object({
  status: Type.Optional(Type.Enum(TICKET_STATUSES)),
  priority: Type.Optional(Type.Enum(TICKET_PRIORITIES)),
  addTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
  removeTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
  assigneeId: Type.Optional(Nullable(Uuid)),
  teamId: Type.Optional(Nullable(Uuid)),
}, { additionalProperties: false });

export const MacroBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ maxLength: MACRO_BODY_MAX_CHARS }),
  actions: Type.Optional(MacroActions),
}, { additionalProperties: false });

export const Macro = Type.Object({ id: Uuid, name: Type.String(), body: Type.String(), actions: MacroActions, updatedAt: Type.String() });
/** A saved macro with the sensitive-data types its text mentions (saved anyway; cards and secrets are refused). */
export const SavedMacro = Type.Intersect([Macro, Type.Object({ warnings: Type.Array(Type.String()) })]);
export const MacroList = Type.Object({ items: Type.Array(Macro) });

/** A placeholder that inserted sensitive data into the filled-in text: the type, never the value. */
export const MacroWarning = Type.Object({
  /** A sensitive-data type of the detector (see `types` in the DLP policy read). */
  type: Type.String(),
  placeholder: Nullable(Type.String()),
  action: Type.String(),
});
export const MacroPreview = Type.Object({ body: Type.String(), warnings: Type.Array(MacroWarning) });
export const TicketMacroParams = Type.Object({ id: Uuid, macroId: Uuid });
export const ApplyMacroBody = Type.Object({ send: Type.Enum(MACRO_SEND_MODES), acknowledgeWarnings: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
export const AppliedMacro = Type.Object({ messageId: Nullable(Uuid), warnings: Type.Array(MacroWarning) });

export const macroEndpoints = {
  /** tickets.write: the macros available to apply. */
  list: { method: 'GET', url: '/api/macros', response: MacroList },
  /** macros.manage: create (card numbers and secrets refused; other sensitive types warned). */
  create: { method: 'POST', url: '/api/macros', body: MacroBody, response: SavedMacro, status: 201 },
  /** macros.manage: replace a macro. */
  update: { method: 'PUT', url: '/api/macros/:id', params: IdParams, body: MacroBody, response: SavedMacro },
  /** macros.manage. */
  remove: { method: 'DELETE', url: '/api/macros/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
  /** tickets.write: the macro filled in for a ticket, with warnings (changes nothing). */
  preview: { method: 'POST', url: '/api/tickets/:id/macros/:macroId/preview', params: TicketMacroParams, response: MacroPreview },
  /** tickets.write: post as reply or note and run the actions in one transaction (409 with warnings unless acknowledged). */
  apply: { method: 'POST', url: '/api/tickets/:id/macros/:macroId/apply', params: TicketMacroParams, body: ApplyMacroBody, response: AppliedMacro },
} as const satisfies Record<string, Endpoint>;
