/**
 * What a route handler gets: the store, the HSM, the clock, the tenants' PAN-index keys, and the
 * operation context of a request — the authenticated client's tenant, the client id as actor and
 * the request id — so every HSM call and audit event is attributed to the caller.
 */
import type { FastifyRequest } from 'fastify';
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import type { StoreDb } from '../../store/index.ts';
import type { Principal } from './api-clients.ts';
import type { RegistryHooks } from '../registry/hooks.ts';
import type { PanIndexKeys } from './tenant-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated client; null on public routes. */
    principal: Principal | null;
  }
}

export interface RequestServices {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  readonly now: () => Date;
  readonly panIndexKeys: PanIndexKeys;
  /** What MNO notifications fan out to (registry/hooks.ts); without it they are only recorded. */
  readonly registryHooks?: RegistryHooks;
  /** The operation context of an authenticated request (throws on a public route: a bug). */
  ctx(request: FastifyRequest): OperationContext;
}

/** The context of `request`: its principal's tenant, the client id as actor, the request id. */
export function requestContext(request: FastifyRequest): OperationContext {
  const p = request.principal;
  if (p === null) throw new Error('requestContext: the route is not authenticated');
  return { tenant: p.tenant, actor: p.clientId, requestId: request.id };
}
