/** How a problem+json answer reads on screen (pure: no DOM, so web/test can check it). */
import { hasMessage, t } from './i18n/index.js';

export interface ProblemLike {
  status: number;
  code: string;
  detail: string;
  requestId: string | null;
}

/**
 * Codes whose generic text only says "something is in the way": when the server says what (the last
 * administrator cannot lose the role, the link was already used, which limit is reached and who can raise it), that
 * sentence is the whole message.
 */
const REASON_IS_THE_MESSAGE = new Set(['conflict', 'gone', 'limit_reached']);

export function describeProblem(p: ProblemLike): { message: string; detail: string | null; requestId: string | null } {
  if (REASON_IS_THE_MESSAGE.has(p.code) && p.detail && p.status < 500) return { message: p.detail, detail: null, requestId: p.requestId };
  const key = `errors.${p.code}`;
  const message = hasMessage(key) ? t(key) : t('errors.internal');
  const detail = p.detail && p.detail !== message && p.status < 500 ? p.detail : null;
  return { message, detail, requestId: p.requestId };
}
