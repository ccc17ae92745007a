/** Text of SCIM provisioning on the single sign-on screen. Keys start with 'scim.'. */
export default {
  'scim.admin.title': 'Provisioning (SCIM)',
  'scim.admin.intro': 'Your identity provider (Entra ID, Okta) can create, update and deprovision staff and teams. Give it the base URL below and a SCIM token. Deprovisioning someone ends every session and API token of theirs at once.',
  'scim.admin.baseUrl': 'Base URL for the provider:',
  'scim.admin.empty': 'No SCIM tokens yet',
  'scim.admin.nameHint': 'Which provider uses it, e.g. “Entra ID”.',
  'scim.admin.create': 'Issue a SCIM token',
  'scim.admin.onceBody': 'Paste this token into your identity provider now. It is shown only once and works only for provisioning.',
  'scim.admin.revokeBody': 'The provider can no longer provision or deprovision anyone until you give it a new token.',
} as const;
