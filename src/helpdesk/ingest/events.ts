/** What the ingest pipeline tells the rest of the product after a commit: plain data, no dependencies, so listeners in other areas can import it without importing the pipeline. */
export interface IngestEvent {
  type: 'ticket.created' | 'message.received' | 'message.quarantined';
  orgId: string;
  ticketId?: string;
  messageId?: string;
  quarantineId?: string;
  autoSubmitted?: boolean;
}

export type Notifier = (event: IngestEvent) => void | Promise<void>;
