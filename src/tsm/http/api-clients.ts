/**
 * API clients: adding one (the secret is returned once and never stored) and authenticating a
 * request's credentials against the store. Roles follow ARCHITECTURE.md §1: a Service Provider
 * (`sp`), a Mobile Network Operator (`mno`), the TSM operator (`admin`), and an issuer host
 * (`issuer`, the bank's authorization side).
 */
import type { Hsm } from '../../hsm/index.ts';
import { getApiClient, insertApiClient, type StoreDb } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import type { VerifiedCredentials } from './verified-credentials.ts';
import { credentialKey, hashSecret, newCredential, operatorContext, verifySecret } from './credentials.ts';

export const API_ROLES = ['sp', 'mno', 'admin', 'issuer'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Who a request runs as, once authenticated. */
export interface Principal {
  readonly clientId: string;
  readonly tenant: string;
  readonly role: ApiRole;
}

/** Tenant names: 1 to 64 printable ASCII characters, as the CLI's `--tenant`. */
export const TENANT_PATTERN = /^[\x21-\x7E][\x20-\x7E]{0,63}$/;

/** Adds a client of `tenant` in `role`; returns its id and the secret, which exists nowhere else afterwards. */
export async function addApiClient(
  db: StoreDb,
  hsm: Hsm,
  request: { readonly tenant: string; readonly role: string },
  now: () => Date = () => new Date(),
): Promise<{ readonly clientId: string; readonly secret: string; readonly token: string }> {
  if (typeof request.tenant !== 'string' || !TENANT_PATTERN.test(request.tenant)) throw new TsmError('ERR_TSM_REQUEST', 'tenant: 1 to 64 printable ASCII characters');
  if (!(API_ROLES as readonly string[]).includes(request.role)) throw new TsmError('ERR_TSM_REQUEST', `role: one of ${API_ROLES.join(', ')}`);
  const ctx = operatorContext('opentsm-serve-client-add');
  const keyId = await credentialKey(hsm, ctx);
  const { clientId, secret } = newCredential();
  await insertApiClient(db, {
    id: clientId, tenant: request.tenant, role: request.role, secretHash: await hashSecret(hsm, keyId, clientId, secret, ctx),
    createdAt: now().toISOString(), disabled: false,
  });
  return { clientId, secret, token: `${clientId}.${secret}` };
}

/**
 * The principal of valid credentials, or undefined: unknown client, disabled client, wrong secret.
 * The caller answers every undefined the same way (one fixed 401). With `verified`, a secret the
 * HSM verified within its TTL is accepted without asking the HSM again (verified-credentials.ts).
 */
export async function authenticate(
  db: StoreDb,
  hsm: Hsm,
  credentials: { readonly clientId: string; readonly secret: string },
  requestId: string,
  verified?: VerifiedCredentials,
): Promise<Principal | undefined> {
  const client = await getApiClient(db, credentials.clientId);
  if (client === undefined || client.disabled || !(API_ROLES as readonly string[]).includes(client.role)) return undefined;
  const principal = { clientId: client.id, tenant: client.tenant, role: client.role as ApiRole };
  if (verified?.matches(client.id, credentials.secret, client.secretHash) === true) return principal;
  const ok = await verifySecret(hsm, client.secretHash, client.id, credentials.secret, operatorContext(`auth:${client.id}`, requestId));
  if (ok) verified?.remember(client.id, credentials.secret, client.secretHash);
  return ok ? principal : undefined;
}
