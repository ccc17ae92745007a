/** How an error answer reads: the server's own reason, without a generic line above it where the reason is the message. */
import { describe, expect, it } from 'vitest';
import { describeProblem } from '../src/error-text.js';
import { t } from '../src/i18n/index.js';

describe('describeProblem', () => {
  it('shows a conflict\'s real reason alone, with no generic "conflicts with the current state" line', () => {
    const reason = 'The organisation needs at least one active administrator; give the role to someone else first.';
    const d = describeProblem({ status: 409, code: 'conflict', detail: reason, requestId: 'req-1' });
    expect(d).toEqual({ message: reason, detail: null, requestId: 'req-1' });
    expect(JSON.stringify(d)).not.toContain(t('errors.conflict'));
  });

  it('shows a spent link\'s reason alone', () => {
    expect(describeProblem({ status: 410, code: 'gone', detail: 'This secure-message link has expired or was already used.', requestId: null }).message).toBe('This secure-message link has expired or was already used.');
  });

  it('shows which limit is reached and who can raise it, alone', () => {
    const reason = 'This organisation has reached its limit of staff seats: 10 used of 10. Ask the operator of this Trustdesk installation (your provider) to raise it.';
    expect(describeProblem({ status: 403, code: 'limit_reached', detail: reason, requestId: null })).toMatchObject({ message: reason, detail: null });
  });

  it('keeps the generic text when the server gave no reason, and for other codes puts the reason under it', () => {
    expect(describeProblem({ status: 409, code: 'conflict', detail: '', requestId: null }).message).toBe(t('errors.conflict'));
    const forbidden = describeProblem({ status: 403, code: 'forbidden', detail: 'Only administrators can do this.', requestId: null });
    expect(forbidden).toMatchObject({ message: t('errors.forbidden'), detail: 'Only administrators can do this.' });
  });
});
