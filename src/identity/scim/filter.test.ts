import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.js';
import { matchesFilter, parseFilter, parsePatchPath, requiredEqualities } from './filter.js';

const refused = (f: () => unknown, scimType: string) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ScimError);
    expect((err as ScimError).scimType).toBe(scimType);
    return;
  }
  throw new Error('not refused');
};

describe('SCIM filters (pure)', () => {
  const ada = { userName: 'Ada@X.example', externalId: 'E1', emails: [{ value: 'ada@x.example', type: 'work' }, { value: 'a@home.example', type: 'home' }], name: { familyName: 'Lovelace' }, active: true };

  it('binds and tighter than or, honours not and grouping, escapes in strings', () => {
    expect(matchesFilter(ada, parseFilter('userName eq "nobody" and active eq true or externalId eq "E1"'))).toBe(true);
    expect(matchesFilter(ada, parseFilter('userName eq "nobody" and (active eq true or externalId eq "E1")'))).toBe(false);
    expect(matchesFilter(ada, parseFilter('not (name.familyName sw "love")'))).toBe(false);
    expect(matchesFilter({ displayName: 'Say "hi"' }, parseFilter('displayName eq "Say \\"hi\\""'))).toBe(true);
    expect(matchesFilter(ada, parseFilter('emails[type eq "home" and value ew "home.example"]'))).toBe(true);
    expect(matchesFilter(ada, parseFilter('emails.value eq "A@HOME.example"'))).toBe(true);
    expect(matchesFilter(ada, parseFilter('externalId eq "e1"'))).toBe(false);
    expect(matchesFilter(ada, parseFilter('title pr'))).toBe(false);
  });

  it('names the equalities every match satisfies (only under and)', () => {
    expect(requiredEqualities(parseFilter('userName eq "a" and externalId eq "b"'))).toEqual([{ path: 'username', value: 'a' }, { path: 'externalid', value: 'b' }]);
    expect(requiredEqualities(parseFilter('userName eq "a" or externalId eq "b"'))).toEqual([]);
  });

  it('refuses enormous and deeply nested filters before evaluating anything', () => {
    refused(() => parseFilter(`userName eq "${'x'.repeat(3_000)}"`), 'invalidFilter');
    refused(() => parseFilter(`${'('.repeat(50)}userName eq "a"${')'.repeat(50)}`), 'invalidFilter');
    refused(() => parseFilter('not userName eq "a"'), 'invalidFilter');
  });

  it('parses PATCH paths with value filters and sub-attributes, and refuses broken ones as invalidPath', () => {
    expect(parsePatchPath('members[value eq "abc"]')).toMatchObject({ path: ['members'], sub: [] });
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({ path: ['emails'], sub: ['value'] });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName').path).toEqual(['name', 'givenname']);
    refused(() => parsePatchPath('members[value eq "abc"'), 'invalidPath');
    refused(() => parsePatchPath('members[value eq "abc"]junk'), 'invalidPath');
    refused(() => parsePatchPath('a.b.c'), 'invalidPath');
  });
});
