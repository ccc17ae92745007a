/**
 * Collision detection on any ticket (chat or not): `TypingReporter` wraps a composer and tells the server, at most
 * every 3 s, that this agent is writing on the ticket; `CollisionNotice` shows "Sam is replying…" while a
 * colleague's frames keep arriving (for 6 s after the last). Polite status: announced, never in the way.
 */
import type { FormEvent, ReactNode } from 'react';
import { t } from '../../i18n/index.js';
import { useReportTyping, useTypingOn } from './live.js';

/** Reports typing for text typed anywhere inside (the rich editor, a textarea, a text field), not for selects or clicks. */
export function TypingReporter({ ticketId, children }: { ticketId: string; children: ReactNode }) {
  const report = useReportTyping(ticketId);
  const onInput = (e: FormEvent<HTMLDivElement>) => {
    const target = e.target;
    if (target instanceof HTMLElement && (target.isContentEditable || target instanceof HTMLTextAreaElement)) report();
  };
  return <div className="typing-reporter" onInput={onInput}>{children}</div>;
}

export function CollisionNotice({ ticketId }: { ticketId: string }) {
  const names = useTypingOn(ticketId, 'agent');
  const text = names.length === 0 ? '' : names.length === 1 ? t('agentChat.collision.one', { name: names[0] ?? '' }) : t('agentChat.collision.many', { names: names.join(', ') });
  return <p className={text ? 'collision' : 'collision collision--idle'} role="status">{text}</p>;
}
