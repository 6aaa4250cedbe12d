/**
 * Authentication and role check of one route (docs/service.md §3), as an onRequest hook: it runs
 * before the body is read, so a caller without credentials never gets a body parsed or validated.
 * Missing, malformed or wrong credentials and disabled clients all get the same 401; a valid
 * client whose role is not in the route's list gets 403. With a limiter (auth-limiter.ts), failed
 * authentications are counted per known client id, and per source address for malformed, unknown
 * or disabled credentials; a locked-out key gets 429 with Retry-After before the HSM is asked.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Hsm } from '../../hsm/index.ts';
import { getApiClient, type StoreDb } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { authenticate, type ApiRole } from './api-clients.ts';
import type { AuthLimiter } from './auth-limiter.ts';
import type { VerifiedCredentials } from './verified-credentials.ts';
import { parseAuthorization } from './credentials.ts';
import { mapError } from './error-registry.ts';

function refuse(reply: FastifyReply, retryAfterSeconds: number): never {
  reply.header('retry-after', String(retryAfterSeconds));
  throw new TsmError('ERR_TSM_RATE_LIMITED', 'too many failed authentications');
}

/** Counts a failure of `key`; logs the start of a lockout (the key is a client id or an address, never a secret). */
function fail(request: FastifyRequest, limiter: AuthLimiter | undefined, key: string): void {
  const outcome = limiter?.failure(key);
  if (outcome?.lockedOut === true) request.log.warn({ limited: key, retryAfterSeconds: outcome.retryAfterSeconds }, 'too many failed authentications: locked out');
}

/** The hook for a route open to `roles`; `limiter` (one per app) limits failed authentications. */
export function authHook(
  db: StoreDb,
  hsm: Hsm,
  roles: readonly ApiRole[],
  limiter?: AuthLimiter,
  verified?: VerifiedCredentials,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const header = request.headers.authorization;
    const credentials = parseAuthorization(header);
    const addressKey = `ip:${request.ip}`;
    if (credentials === undefined) {
      // No header at all is not a guess (and costs nothing): only a malformed one is counted.
      if (header !== undefined && limiter !== undefined) {
        const wait = limiter.retryAfter(addressKey);
        if (wait !== undefined) refuse(reply, wait);
        fail(request, limiter, addressKey);
      }
      throw new TsmError('ERR_TSM_AUTH', 'missing or malformed credentials');
    }
    const clientKey = `client:${credentials.clientId}`;
    const wait = limiter?.retryAfter(clientKey);
    if (wait !== undefined) refuse(reply, wait);
    let principal;
    try {
      principal = await authenticate(db, hsm, credentials, request.id, verified);
    } catch (cause) {
      // A failure of the credential check itself (the key is missing, the HSM is down) is never a client error.
      const mapped = mapError(cause);
      if (mapped === undefined || mapped.status < 500) throw new Error('the credential check failed', { cause });
      throw cause;
    }
    if (principal === undefined) {
      if (limiter !== undefined) {
        // A known client's wrong secret counts against the client; an unknown or disabled id against the address.
        const client = await getApiClient(db, credentials.clientId);
        if (client !== undefined && !client.disabled) {
          fail(request, limiter, clientKey);
        } else {
          const addressWait = limiter.retryAfter(addressKey);
          if (addressWait !== undefined) refuse(reply, addressWait);
          fail(request, limiter, addressKey);
        }
      }
      throw new TsmError('ERR_TSM_AUTH', 'invalid credentials');
    }
    limiter?.success(clientKey);
    request.principal = principal;
    if (!roles.includes(principal.role)) throw new TsmError('ERR_TSM_FORBIDDEN', `role ${principal.role} may not call this route`);
  };
}
