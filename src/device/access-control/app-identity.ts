/**
 * What the rules can name of a device app: its package name and the hashes of every certificate of
 * its signing chain, SHA-1 and SHA-256 (GP SEAC v1.1 DeviceAppID-REF-DO 'C1'; AOSP
 * AccessControlEnforcer hashes each certificate the package manager returns, leaf first).
 * Computed once per app value.
 */
import { createHash } from 'node:crypto';
import { DeviceError } from '../errors.ts';
import type { DeviceApp } from './access-decision.ts';

/** A device app as the rule search sees it. */
export interface AppIdentity {
  readonly packageName: string;
  /** For each certificate, leaf first: its SHA-1 (20 bytes), then its SHA-256 (32 bytes). */
  readonly hashes: readonly Uint8Array[];
}

const cache = new WeakMap<DeviceApp, AppIdentity>();

/**
 * The identity of `app`, hashed once. An app without a package name or without certificates cannot
 * be matched to any rule: ERR_DEVICE_SECURITY (AOSP: "Application certificates are invalid or do
 * not exist").
 */
export function appIdentity(app: DeviceApp): AppIdentity {
  const known = cache.get(app);
  if (known !== undefined) return known;
  if (typeof app.packageName !== 'string' || app.packageName.length === 0) throw new DeviceError('ERR_DEVICE_SECURITY', 'access control: the app has no package name');
  const certificates: readonly unknown[] = Array.isArray(app.certificates) ? app.certificates : [];
  if (certificates.length === 0 || !certificates.every((c): c is Uint8Array => c instanceof Uint8Array && c.length > 0)) {
    throw new DeviceError('ERR_DEVICE_SECURITY', `access control: ${app.packageName} has no signing certificate`);
  }
  const hashes = certificates.flatMap((der) => [digest('sha1', der), digest('sha256', der)]);
  const identity = Object.freeze({ packageName: app.packageName, hashes: Object.freeze(hashes) });
  cache.set(app, identity);
  return identity;
}

function digest(algorithm: 'sha1' | 'sha256', der: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(der).digest());
}
