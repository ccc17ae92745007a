/** The ticket list's address keeps the chosen view through a search, so clearing the search returns to it. */
import { describe, expect, it } from 'vitest';
import { listHref, viewOf } from '../src/agent/list-url.js';

describe('ticket list address', () => {
  it('keeps the chosen view while searching and returns to it when the search is cleared', () => {
    const searching = listHref('unassigned', '  refund #12 ');
    expect(searching).toBe('/tickets?view=unassigned&q=refund%20%2312');
    const query = searching.slice(searching.indexOf('?'));
    expect(viewOf(query)).toBe('unassigned');
    expect(new URLSearchParams(query).get('q')).toBe('refund #12');
    expect(listHref(viewOf(query), '')).toBe('/tickets?view=unassigned');
    expect(listHref('breaching', '   ')).toBe('/tickets?view=breaching');
  });

  it('falls back to "mine" only when the address names no known view', () => {
    expect(viewOf('?q=x')).toBe('mine');
    expect(viewOf('?view=everything')).toBe('mine');
    expect(viewOf('?view=all')).toBe('all');
  });
});
