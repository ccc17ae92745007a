/**
 * Contract of the ticket routes (src/tickets/*.routes.ts): views and counts,
 * the ticket page (conversation, abilities), replies, notes, assignment,
 * status, single-ticket edits, attachments, the sanitised email HTML, bulk
 * actions and merge/split. src/tickets/schema.ts re-exports the lists.
 */
import { Type } from 'typebox';

export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export const TICKET_CHANNELS = ['email', 'web', 'portal', 'api', 'phone'] as const;
export type TicketChannel = (typeof TICKET_CHANNELS)[number];
export const TICKET_VIEWS = ['all', 'mine', 'my_team', 'unassigned', 'breaching'] as const;
export type TicketView = (typeof TICKET_VIEWS)[number];
export const MESSAGE_KINDS = ['inbound_email', 'public_reply', 'internal_note'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
export const THREAT_VERDICTS = ['clean', 'suspicious', 'phishing'] as const;
export type ThreatVerdict = (typeof THREAT_VERDICTS)[number];

