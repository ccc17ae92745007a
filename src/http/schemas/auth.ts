/**
 * Contract of the staff authentication routes (src/auth/auth.routes.ts).
 */
import { Type } from 'typebox';
import { Nullable, type Endpoint } from './common.js';

export const Me = Type.Object({
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), orgId: Type.String(), roles: Type.Array(Type.String()), teamIds: Type.Array(Type.String()) }),
  mfa: Type.Object({ verified: Type.Boolean(), method: Nullable(Type.String()), phishingResistantRequired: Type.Boolean() }),
  csrfToken: Nullable(Type.String()),
  abilities: Type.Record(Type.String(), Type.Boolean()),
});

export const authEndpoints = {
  me: { method: 'GET', url: '/api/auth/me', response: Me },
} as const satisfies Record<string, Endpoint>;
