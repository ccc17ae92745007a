/**
 * Contract of the staff authentication routes (src/identity/auth/auth.routes.ts):
 * first-run setup, sign-in and out, who am I, sessions, passwords, password
 * reset and invitation acceptance. The sign-in and setup screens validate with
 * these same schemas before sending (decision 0090 §2).
 */
import { Type } from 'typebox';
import { Nullable, type Endpoint } from './common.js';

/** NIST SP 800-63B bounds (src/identity/auth/passwords.ts adds the common-password and context checks). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export const Me = Type.Object({
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), orgId: Type.String(), roles: Type.Array(Type.String()), teamIds: Type.Array(Type.String()) }),
  mfa: Type.Object({ verified: Type.Boolean(), method: Nullable(Type.String()), phishingResistantRequired: Type.Boolean() }),
  csrfToken: Nullable(Type.String()),
  abilities: Type.Record(Type.String(), Type.Boolean()),
});

const SignInEmail = Type.String({ minLength: 1, maxLength: 254 });
const NewEmail = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
/** A password being checked (sign-in, current password): any length the server may have accepted. */
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
/** A password being chosen: the length rules are checked on both sides; the rest on the server. */
export const NewPassword = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });
/** The `tdl_…` token of a setup, invitation or reset link (read from the link's #hash). */
export const LinkToken = Type.String({ minLength: 10, maxLength: 200 });

export const SessionStarted = Type.Object({
  csrfToken: Type.String(),
  mfaRequired: Type.Boolean(),
  expiresAt: Type.String(),
});
export const Ok = Type.Object({ ok: Type.Literal(true) });

export const SetupStatus = Type.Object({ needed: Type.Boolean() });
export const SetupBody = Type.Object(
  { token: LinkToken, organizationName: Type.String({ minLength: 1, maxLength: 200 }), name: Type.String({ minLength: 1, maxLength: 200 }), email: NewEmail, password: NewPassword },
  { additionalProperties: false },
);
export const SignInBody = Type.Object({ email: SignInEmail, password: Password }, { additionalProperties: false });

export const SessionView = Type.Object({
  id: Type.String(),
  current: Type.Boolean(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  mfaMethod: Nullable(Type.String()),
});
export const SessionList = Type.Object({ sessions: Type.Array(SessionView) });
export const SessionParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const ChangePasswordBody = Type.Object({ current: Password, next: NewPassword }, { additionalProperties: false });
export const PasswordResetBody = Type.Object({ email: SignInEmail }, { additionalProperties: false });
export const PasswordResetCompleteBody = Type.Object({ token: LinkToken, password: NewPassword }, { additionalProperties: false });
export const AcceptInviteBody = Type.Object({ token: LinkToken, password: NewPassword }, { additionalProperties: false });

/** Words a password must not be made of (besides the product's name), for the strength check before an account exists. */
export const PasswordCheckBody = Type.Object(
  {
    password: Type.String({ maxLength: 1024 }),
    context: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 5 })),
  },
  { additionalProperties: false },
);
export const PasswordCheckResult = Type.Object({
  acceptable: Type.Boolean(),
  /** Why the server would refuse it (null when acceptable). */
  problem: Nullable(Type.String()),
  minLength: Type.Integer(),
  maxLength: Type.Integer(),
});

/** The web app's session probe: signed in or not, always 200 (a signed-out page makes no failing request). */
export const SessionProbe = Type.Object({ signedIn: Type.Boolean(), me: Nullable(Me) });

export const authEndpoints = {
  setupStatus: { method: 'GET', url: '/api/setup', response: SetupStatus },
  setup: { method: 'POST', url: '/api/setup', body: SetupBody, response: SessionStarted, status: 201 },
  signIn: { method: 'POST', url: '/api/auth/signin', body: SignInBody, response: SessionStarted },
  signOut: { method: 'POST', url: '/api/auth/signout', response: Ok },
  me: { method: 'GET', url: '/api/auth/me', response: Me },
  /** Public: `me` when a session (or token) is present, `signedIn: false` otherwise; never 401. */
  session: { method: 'GET', url: '/api/auth/session', response: SessionProbe },
  sessions: { method: 'GET', url: '/api/auth/sessions', response: SessionList },
  revokeSession: { method: 'DELETE', url: '/api/auth/sessions/:id', params: SessionParams, response: Ok },
  changePassword: { method: 'POST', url: '/api/auth/password', body: ChangePasswordBody, response: Ok },
  checkPassword: { method: 'POST', url: '/api/auth/password/check', body: PasswordCheckBody, response: PasswordCheckResult },
  passwordReset: { method: 'POST', url: '/api/auth/password-reset', body: PasswordResetBody, response: Ok, status: 202 },
  passwordResetComplete: { method: 'POST', url: '/api/auth/password-reset/complete', body: PasswordResetCompleteBody, response: Ok },
  acceptInvite: { method: 'POST', url: '/api/auth/accept-invite', body: AcceptInviteBody, response: SessionStarted },
} as const satisfies Record<string, Endpoint>;
