/**
 * This browser as a registered device (docs/devices.md, decision 0215). The device key is a WebCrypto ECDSA
 * P-256 pair generated non-extractable and kept in IndexedDB (per person), so script can use it to sign but
 * never read the private key out. Registering sends the public key with a signature over the server's
 * single-use challenge and this session's handle; on each console load the key proves itself again (assert),
 * which binds the session to the device. The state (device, and whether files and exports are allowed here)
 * is one small store the console's components subscribe to.
 */
import { useEffect, useState } from 'react';
import type { Static } from 'typebox';
import { deviceEndpoints, type CurrentDevice } from '../../../src/platform/http/schemas/devices.js';
import { ApiError, call } from '../api.js';

export type DeviceState = Static<typeof CurrentDevice>;

const DB_NAME = 'trustdesk-device';
const STORE = 'keys';

interface StoredKey {
  deviceId: string;
  keys: CryptoKeyPair;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = work(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB failed'));
    });
  } finally {
    db.close();
  }
}

const loadKey = (userId: string) => withStore<StoredKey | undefined>('readonly', (s) => s.get(userId) as IDBRequest<StoredKey | undefined>);
const saveKey = (userId: string, value: StoredKey) => withStore('readwrite', (s) => s.put(value, userId));
const forgetKey = (userId: string) => withStore('readwrite', (s) => s.delete(userId));

/** The message the server verifies (src/identity/devices/proof.ts, `proofMessage`). */
const message = (purpose: 'register' | 'assert', challenge: string, binding: string, timestamp: number) => `trustdesk-device-proof/v1\n${purpose}\n${challenge}\n${binding}\n${timestamp}`;

function base64url(bytes: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function prove(keys: CryptoKeyPair, purpose: 'register' | 'assert') {
  const ch = await call(deviceEndpoints.challenge);
  const timestamp = Date.now();
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, new TextEncoder().encode(message(purpose, ch.challenge, ch.binding, timestamp)));
  return { challenge: ch.challenge, timestamp, signature: base64url(signature) };
}

let state: DeviceState | null = null;
let pending: Promise<DeviceState> | null = null;
const listeners = new Set<(s: DeviceState | null) => void>();

function publish(next: DeviceState | null): void {
  state = next;
  for (const l of listeners) l(next);
}

export async function refreshDeviceState(): Promise<DeviceState> {
  pending = call(deviceEndpoints.current).then((s) => {
    publish(s);
    return s;
  }).finally(() => {
    pending = null;
  });
  return pending;
}

/** This browser's device state, loaded once and shared; null while loading. */
export function useDeviceState(): DeviceState | null {
  const [value, setValue] = useState(state);
  useEffect(() => {
    listeners.add(setValue);
    if (!state && !pending) void refreshDeviceState().catch(() => undefined);
    return () => {
      listeners.delete(setValue);
    };
  }, []);
  return value;
}

/** On a console load: a browser that holds a device key proves it (a revoked or unknown key is forgotten). */
export async function bindThisBrowser(userId: string): Promise<void> {
  const stored = await loadKey(userId).catch(() => undefined);
  if (!stored) {
    await refreshDeviceState();
    return;
  }
  try {
    publish(await call(deviceEndpoints.assert, { body: { deviceId: stored.deviceId, ...(await prove(stored.keys, 'assert')) } }));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) await forgetKey(userId).catch(() => undefined);
    await refreshDeviceState();
  }
}

export async function hasDeviceKey(userId: string): Promise<boolean> {
  return Boolean(await loadKey(userId).catch(() => undefined));
}

/** Registers this browser under `name` with a new non-extractable key. */
export async function registerThisBrowser(userId: string, name: string): Promise<DeviceState> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const proof = await prove(keys, 'register');
  const result = await call(deviceEndpoints.register, { body: { name, publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x ?? '', y: jwk.y ?? '' }, ...proof } });
  if (result.device) await saveKey(userId, { deviceId: result.device.id, keys });
  publish(result);
  return result;
}

/** Fetches a file the way a link would, but reads a refusal as a problem the page can show. */
export async function fetchDownload(url: string): Promise<{ blob: Blob; filename: string | null }> {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; requestId?: string };
    throw new ApiError(res.status, body.code ?? 'internal', body.detail ?? '', {}, body.requestId ?? null, body as Record<string, unknown>);
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const m = /filename\*=UTF-8''([^;]+)/.exec(disposition);
  return { blob: await res.blob(), filename: m?.[1] ? decodeURIComponent(m[1]) : null };
}
