/**
 * Authentication and role check of one route (docs/service.md §3), as an onRequest hook: it runs
 * before the body is read, so a caller without credentials never gets a body parsed or validated.
 * Missing, malformed or wrong credentials and disabled clients all get the same 401; a valid
 * client whose role is not in the route's list gets 403.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Hsm } from '../../hsm/index.ts';
import type { StoreDb } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { authenticate, type ApiRole } from './api-clients.ts';
import { parseAuthorization } from './credentials.ts';
import { mapError } from './error-registry.ts';

/** The hook for a route open to `roles`. */
export function authHook(db: StoreDb, hsm: Hsm, roles: readonly ApiRole[]): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request) => {
    const credentials = parseAuthorization(request.headers.authorization);
    if (credentials === undefined) throw new TsmError('ERR_TSM_AUTH', 'missing or malformed credentials');
    let principal;
    try {
      principal = await authenticate(db, hsm, credentials, request.id);
    } catch (cause) {
      // A failure of the credential check itself (the key is missing, the HSM is down) is never a client error.
      const mapped = mapError(cause);
      if (mapped === undefined || mapped.status < 500) throw new Error('the credential check failed', { cause });
      throw cause;
    }
    if (principal === undefined) throw new TsmError('ERR_TSM_AUTH', 'invalid credentials');
    request.principal = principal;
    if (!roles.includes(principal.role)) throw new TsmError('ERR_TSM_FORBIDDEN', `role ${principal.role} may not call this route`);
  };
}
