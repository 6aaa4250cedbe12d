/**
 * A route as data: method, path, GP-style operation id, the roles that may call it, its schemas and
 * its handler. The app registers these with Fastify and the OpenAPI document is generated from the
 * same list, so what is validated is what is documented (one source of truth).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiRole } from './api-clients.ts';
import type { JsonSchema } from './schemas.ts';

export interface RouteSchemas {
  readonly params?: JsonSchema;
  /** Request headers (names in lower case), e.g. `idempotency-key` on SE-touching calls. */
  readonly headers?: JsonSchema;
  readonly body?: JsonSchema;
  /** Status → body schema; a status whose schema is `null` has no body (204). */
  readonly response: Readonly<Record<number, JsonSchema | null>>;
}

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Fastify path syntax (`/v1/issuer/cards/:cardId`). */
  readonly url: string;
  /** The GP System Messaging function name where one exists (GPS_SPE_002), else a clear verb-noun. */
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  /** Who may call: `public` (no credentials: health, readiness, the document) or a list of roles. */
  readonly roles: 'public' | readonly ApiRole[];
  readonly schema: RouteSchemas;
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}
