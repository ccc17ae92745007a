/**
 * Staff names for the audit trail: the log records ids only, so the page
 * names actors from the staff list when the member may read it (users.read);
 * otherwise it shows the ids.
 */
import { userEndpoints } from '../../../src/platform/http/schemas/users.js';
import { call } from '../api.js';
import { useMe } from '../session.js';
import { useResource } from '../ui/hooks.js';

export interface StaffMember {
  id: string;
  name: string;
  email: string;
}

export function useStaff(): Map<string, StaffMember> | null {
  const { can } = useMe();
  const allowed = can('users.read');
  const res = useResource(async () => (allowed ? (await call(userEndpoints.list)).users : null), [allowed]);
  if (!res.data) return null;
  return new Map(res.data.map((u) => [u.id, { id: u.id, name: u.name, email: u.email }]));
}
