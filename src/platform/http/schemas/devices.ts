/**
 * Contract of registered devices and the data egress policy (src/identity/devices/; docs/devices.md, decisions
 * 0215–0217). A browser proves it holds its device key by signing a single-use challenge issued to its session;
 * the person lists and revokes their devices; administrators (users.manage) list and revoke anyone's; the
 * per-role policy (policies.manage) says where customer data may go.
 */
import { Type } from 'typebox';
import { Ok } from './auth.js';
import { IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

/** Why files and exports are refused here; null when they are allowed. */
export const EGRESS_REASONS = ['unregistered_device', 'device_pending', 'network', 'token'] as const;

const B64Url = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9_-]+$' });
const DeviceName = Type.String({ minLength: 1, maxLength: 80 });
const Cidr = Type.String({ minLength: 2, maxLength: 50 });

export const DeviceChallenge = Type.Object({
  challenge: Type.String(),
  /** The session's public handle: part of the signed message, so the proof is bound to this session. */
  binding: Type.String(),
  expiresAt: Timestamp,
  serverTime: Type.Integer(),
});

export const EcPublicJwk = Type.Object({ kty: Type.Literal('EC'), crv: Type.Literal('P-256'), x: B64Url(64), y: B64Url(64) }, { additionalProperties: true });

const Proof = {
  challenge: B64Url(100),
  /** The browser's clock, milliseconds since the epoch (tolerated skew: docs/devices.md). */
  timestamp: Type.Integer({ minimum: 0 }),
  /** ECDSA P-256 / SHA-256 signature, IEEE P1363 (r‖s), base64url. */
  signature: B64Url(200),
};

export const RegisterDeviceBody = Type.Object({ name: DeviceName, publicKey: EcPublicJwk, ...Proof }, { additionalProperties: false });
export const AssertDeviceBody = Type.Object({ deviceId: Uuid, ...Proof }, { additionalProperties: false });

export const DeviceView = Type.Object({
  id: Uuid,
  name: Type.String(),
  userAgent: Nullable(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  lastIp: Nullable(Type.String()),
  revokedAt: Nullable(Timestamp),
  /** Null while it waits for an administrator's approval (organisations that ask for it, decision 0222). */
  approvedAt: Nullable(Timestamp),
  /** This browser's session is bound to it. */
  current: Type.Boolean(),
});

export const EgressView = Type.Object({
  /** Attachments, exports, copying revealed fields and printing are allowed here. */
  allowed: Type.Boolean(),
  reason: Nullable(Literals(EGRESS_REASONS)),
  /** The explanation shown in the console when refused. */
  message: Nullable(Type.String()),
});

export const CurrentDevice = Type.Object({ device: Nullable(DeviceView), egress: EgressView });
export const DeviceList = Type.Object({ devices: Type.Array(DeviceView) });
export const DeviceParams = Type.Object({ id: Uuid });
export const UserDeviceParams = Type.Object({ id: Uuid, deviceId: Uuid });

export const EgressRolePolicy = Type.Object({
  roleId: Uuid,
  roleKey: Type.String(),
  roleName: Type.String(),
  requireDevice: Type.Boolean(),
  allowedCidrs: Type.Array(Type.String()),
});
export const EgressPolicy = Type.Object({ roles: Type.Array(EgressRolePolicy), yourAddress: Type.String(), /** New devices count only once another administrator approved them. */ approvalRequired: Type.Boolean() });
export const EgressPolicyBody = Type.Object(
  {
    roles: Type.Array(Type.Object({ roleId: Uuid, requireDevice: Type.Boolean(), allowedCidrs: Type.Array(Cidr, { maxItems: 50 }) }, { additionalProperties: false }), { maxItems: 100 }),
    approvalRequired: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const deviceEndpoints = {
  challenge: { method: 'POST', url: '/api/devices/challenge', response: DeviceChallenge },
  register: { method: 'POST', url: '/api/devices/register', body: RegisterDeviceBody, response: CurrentDevice, status: 201 },
  assert: { method: 'POST', url: '/api/devices/assert', body: AssertDeviceBody, response: CurrentDevice },
  current: { method: 'GET', url: '/api/devices/current', response: CurrentDevice },
  mine: { method: 'GET', url: '/api/devices', response: DeviceList },
  revokeMine: { method: 'DELETE', url: '/api/devices/:id', params: DeviceParams, response: Ok },
  ofUser: { method: 'GET', url: '/api/users/:id/devices', params: IdParams, response: DeviceList },
  revokeOfUser: { method: 'DELETE', url: '/api/users/:id/devices/:deviceId', params: UserDeviceParams, response: Ok },
  approveOfUser: { method: 'POST', url: '/api/users/:id/devices/:deviceId/approve', params: UserDeviceParams, response: DeviceView },
  policy: { method: 'GET', url: '/api/devices/policy', response: EgressPolicy },
  savePolicy: { method: 'PUT', url: '/api/devices/policy', body: EgressPolicyBody, response: EgressPolicy },
} as const satisfies Record<string, Endpoint>;
