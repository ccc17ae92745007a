/**
 * Pure: the attributes of the User and Group resources as Trustdesk keeps them
 * (RFC 7643 §4), used to resolve PATCH paths, to validate input and to write
 * the /Schemas documents. Core attributes Trustdesk does not keep (title,
 * phone numbers, addresses, the enterprise extension, …) are `ignored`: accepted
 * and discarded, so a provider's default mapping works and Trustdesk holds no
 * personal data it has no use for. Anything else is an unknown path.
 */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface AttrDef {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';
  multiValued?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable';
  required?: boolean;
  caseExact?: boolean;
  uniqueness?: 'none' | 'server';
  description: string;
  sub?: Record<string, AttrDef>;
  /** Accepted in requests and discarded. */
  ignored?: boolean;
}

const str = (name: string, description: string, extra: Partial<AttrDef> = {}): AttrDef => ({ name, type: 'string', description, ...extra });
const ignored = (name: string): AttrDef => ({ name, type: 'string', description: 'Accepted and not kept.', ignored: true });
const table = (defs: AttrDef[]): Record<string, AttrDef> => Object.fromEntries(defs.map((d) => [d.name.toLowerCase(), d]));

const META: AttrDef = { name: 'meta', type: 'complex', mutability: 'readOnly', description: 'Resource metadata.' };
const ID: AttrDef = str('id', 'Trustdesk’s identifier.', { mutability: 'readOnly', caseExact: true, uniqueness: 'server' });
const EXTERNAL_ID: AttrDef = str('externalId', 'The provider’s identifier.', { caseExact: true });

export const USER_ATTRS: Record<string, AttrDef> = table([
  ID,
  EXTERNAL_ID,
  str('userName', 'Unique within the organisation; an email address.', { required: true, uniqueness: 'server' }),
  {
    name: 'name',
    type: 'complex',
    description: 'The person’s name.',
    sub: table([str('formatted', 'Full name.'), str('givenName', 'Given name.'), str('familyName', 'Family name.'), ignored('middleName'), ignored('honorificPrefix'), ignored('honorificSuffix')]),
  },
  str('displayName', 'Name shown to colleagues.'),
  {
    name: 'emails',
    type: 'complex',
    multiValued: true,
    description: 'The sign-in address (one is kept: the primary, else the first).',
    sub: table([str('value', 'Address.'), str('type', 'work, home or other.'), { name: 'primary', type: 'boolean', description: 'The primary address.' }, str('display', 'Display.')]),
  },
  { name: 'active', type: 'boolean', description: 'false: deprovisioned (every session and token ended).' },
  {
    name: 'groups',
    type: 'complex',
    multiValued: true,
    mutability: 'readOnly',
    description: 'Teams the person is a member of.',
    sub: table([str('value', 'Group id.', { mutability: 'readOnly' }), { name: '$ref', type: 'reference', mutability: 'readOnly', description: 'Group URI.' }, str('display', 'Group name.', { mutability: 'readOnly' })]),
  },
  META,
  ...['nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'password', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates'].map(ignored),
  { ...ignored(ENTERPRISE_USER_SCHEMA), type: 'complex' },
]);

export const GROUP_ATTRS: Record<string, AttrDef> = table([
  ID,
  EXTERNAL_ID,
  str('displayName', 'The team’s name, unique within the organisation.', { required: true, uniqueness: 'server' }),
  {
    name: 'members',
    type: 'complex',
    multiValued: true,
    description: 'Staff in the team (users only; groups do not nest).',
    sub: table([str('value', 'User id.', { mutability: 'immutable' }), { name: '$ref', type: 'reference', mutability: 'immutable', description: 'User URI.' }, str('display', 'Name.'), str('type', 'User.')]),
  },
  META,
]);

function schemaAttribute(d: AttrDef): Record<string, unknown> {
  return {
    name: d.name,
    type: d.type,
    multiValued: d.multiValued ?? false,
    description: d.description,
    required: d.required ?? false,
    caseExact: d.caseExact ?? false,
    mutability: d.mutability ?? 'readWrite',
    returned: d.name === 'id' ? 'always' : 'default',
    uniqueness: d.uniqueness ?? 'none',
    ...(d.sub ? { subAttributes: Object.values(d.sub).filter((s) => !s.ignored).map(schemaAttribute) } : {}),
  };
}

/** The /Schemas documents: only what Trustdesk keeps. */
export function schemaDocuments(base: string): Array<Record<string, unknown>> {
  const doc = (id: string, name: string, description: string, attrs: Record<string, AttrDef>) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id,
    name,
    description,
    attributes: Object.values(attrs).filter((a) => !a.ignored && a.name !== 'meta' && a.name !== 'id').map(schemaAttribute),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${id}` },
  });
  return [doc(USER_SCHEMA, 'User', 'Staff member', USER_ATTRS), doc(GROUP_SCHEMA, 'Group', 'Team', GROUP_ATTRS)];
}

export function resourceTypeDocuments(base: string): Array<Record<string, unknown>> {
  const doc = (id: 'User' | 'Group', endpoint: string, schema: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id,
    name: id,
    endpoint,
    description: id === 'User' ? 'Staff member' : 'Team',
    schema,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${id}` },
  });
  return [doc('User', '/Users', USER_SCHEMA), doc('Group', '/Groups', GROUP_SCHEMA)];
}

export const MAX_PAGE = 200;

export function serviceProviderConfig(base: string): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: 'A SCIM token (tdp_…) issued by an administrator of the organisation.', specUri: 'https://www.rfc-editor.org/rfc/rfc6750', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}
