/**
 * The TSM service's HTTP app (docs/service.md): Fastify, JSON only, versioned under /v1, every
 * route declared as data (route.ts) with JSON Schemas that validate requests, shape responses and
 * make the OpenAPI 3.1 document at /openapi.json. One log line per request (logger.ts), one error
 * registry (error-registry.ts), credentials per route (auth.ts).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Hsm } from '../../hsm/index.ts';
import type { StoreDb } from '../../store/index.ts';
import { authHook } from './auth.ts';
import { AuthLimiter, type AuthLimiterOptions } from './auth-limiter.ts';
import { VerifiedCredentials, type VerifiedCredentialsOptions } from './verified-credentials.ts';
import { handleError, handleNotFound } from './error-handler.ts';
import { createLogger, type LogLevel } from './logger.ts';
import { buildOpenApi } from './openapi.ts';
import { requestContext, type RequestServices } from './request-context.ts';
import type { RouteSpec } from './route.ts';
import { healthRoutes } from './routes/health.ts';
import { instanceRoutes, type InstanceRouteDeps } from './routes/instances.ts';
import { relayTokenRoutes } from './routes/relay-tokens.ts';
import { seAuditRoutes } from './routes/se-audit.ts';
import { issuerRoutes } from './routes/issuer.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { mnoRoutes } from './routes/mno.ts';
import { catalogRoutes } from './routes/catalog.ts';
import type { RegistryHooks } from '../registry/hooks.ts';
import { PanIndexKeys } from './tenant-keys.ts';

/** The service version the OpenAPI document states. */
export const API_VERSION = '0.1.0';

export interface AppDeps {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  readonly config: {
    /** Largest request body, in bytes; larger gets 413. */
    readonly bodyLimit: number;
    readonly logLevel: LogLevel;
  };
  readonly clock?: () => Date;
  /** The logger (default: pino to stdout at `config.logLevel`); tests pass one writing to a capture. */
  readonly logger?: Logger;
  /**
   * TLS key and certificate (PEM): the app then serves HTTPS. With `clientCa` (PEM, one or more CA
   * certificates) it is mutual TLS: a handshake without a client certificate signed by one of them
   * is refused, on every path (docs/service.md §3); credentials are still required on top.
   */
  readonly https?: { readonly key: string | Uint8Array; readonly cert: string | Uint8Array; readonly clientCa?: string | Uint8Array };
  /**
   * Remembering verified secrets (verified-credentials.ts: an HMAC under a per-process key, 60 s by
   * default) so a client's every request does not cost an HSM call, or false to ask the HSM each time.
   */
  readonly credentialCache?: VerifiedCredentialsOptions | false;
  /** Limits of failed authentications (auth-limiter.ts; defaults: 10 in 60 s, then 60 s doubling to 15 min), or false for none. */
  readonly authLimiter?: AuthLimiterOptions | false;
  /** What MNO notifications fan out to (tsm/registry hooks.ts); without it they are only recorded. */
  readonly registryHooks?: RegistryHooks;
  /**
   * Told of every answered request on a declared route (after the answer is sent): the audit log's
   * feed of API calls. Ids from the path are the subjects; bodies are never passed.
   */
  readonly onApiCall?: (call: ApiCall) => void;
  /** The SP's instance and job routes need the provisioning side (TsmService gives it). */
  readonly instances?: InstanceRouteDeps;
}

/** An answered API call, for the audit log. */
export interface ApiCall {
  readonly operationId: string;
  readonly status: number;
  readonly tenant: string | undefined;
  readonly clientId: string | undefined;
  readonly requestId: string;
  /** The path parameters (ids: instance, job, SE, service…). */
  readonly subjects: readonly string[];
}

/** The app's Fastify instance (HTTP or HTTPS). */
export type TsmApp = FastifyInstance;

const REGISTERED = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/** Every method and path the app registered (HEAD routes included), for the OpenAPI coverage test. */
export function registeredRoutes(app: TsmApp): readonly { readonly method: string; readonly url: string }[] {
  return REGISTERED.get(app) ?? [];
}

function logRequest(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  request.log.info({
    method: request.method,
    route: request.routeOptions.url ?? 'unmatched',
    status: reply.statusCode,
    latencyMs: Math.round(reply.elapsedTime * 100) / 100,
    tenant: request.principal?.tenant,
    client: request.principal?.clientId,
  }, 'request');
  done();
}

function register(app: FastifyInstance, route: RouteSpec, deps: AppDeps, limiter: AuthLimiter | undefined, verified: VerifiedCredentials | undefined): void {
  const response = Object.fromEntries(Object.entries(route.schema.response).filter(([, s]) => s !== null));
  app.route({
    method: route.method,
    url: route.url,
    schema: {
      ...(route.schema.params === undefined ? {} : { params: route.schema.params }),
      ...(route.schema.headers === undefined ? {} : { headers: route.schema.headers }),
      ...(route.schema.body === undefined ? {} : { body: route.schema.body }),
      response,
    },
    ...(route.roles === 'public' ? {} : { onRequest: authHook(deps.db, deps.hsm, route.roles, limiter, verified) }),
    config: { operationId: route.operationId },
    handler: route.handler,
  });
}

/** node:https options: TLS 1.2 or later; with a client CA, a client certificate it signed is required in the handshake. */
function httpsOptions(https: NonNullable<AppDeps['https']>): Record<string, unknown> {
  return {
    key: Buffer.from(https.key), cert: Buffer.from(https.cert), minVersion: 'TLSv1.2' as const,
    ...(https.clientCa === undefined ? {} : { ca: Buffer.from(https.clientCa), requestCert: true, rejectUnauthorized: true }),
  };
}

/** Builds the app; call `ready()` / `listen()` / `inject()` on it, and `close()` when done. */
export function buildApp(deps: AppDeps): TsmApp {
  const logger = deps.logger ?? createLogger(deps.config.logLevel);
  const app = Fastify({
    loggerInstance: logger,
    // Fastify's own request lines are off: logRequest writes the one line per request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: deps.config.bodyLimit,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    requestTimeout: 30_000,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    ...(deps.https === undefined ? {} : { https: httpsOptions(deps.https) }),
  }) as unknown as FastifyInstance;
  const registered: { method: string; url: string }[] = [];
  REGISTERED.set(app, registered);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url });
  });
  app.decorateRequest('principal', null);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', logRequest);
  const onApiCall = deps.onApiCall;
  if (onApiCall !== undefined) {
    app.addHook('onResponse', (request, reply, done) => {
      const operationId = (request.routeOptions.config as { operationId?: unknown } | undefined)?.operationId;
      if (typeof operationId === 'string' && operationId !== 'GetOpenApiDocument' && request.routeOptions.url !== '/healthz' && request.routeOptions.url !== '/readyz') {
        const params = (request.params ?? {}) as Record<string, unknown>;
        onApiCall({
          operationId, status: reply.statusCode, tenant: request.principal?.tenant, clientId: request.principal?.clientId, requestId: request.id,
          subjects: Object.values(params).filter((v): v is string => typeof v === 'string').map((v) => v.slice(0, 128)),
        });
      }
      done();
    });
  }
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  const services: RequestServices = {
    db: deps.db, hsm: deps.hsm, now: deps.clock ?? (() => new Date()), panIndexKeys: new PanIndexKeys(deps.hsm), ctx: requestContext,
    ...(deps.registryHooks === undefined ? {} : { registryHooks: deps.registryHooks }),
  };
  const routes: RouteSpec[] = [...healthRoutes(deps.db, deps.hsm), ...issuerRoutes(services), ...mnoRoutes(services), ...catalogRoutes(services)];
  routes.push(...webhookRoutes(services));
  const instances = deps.instances;
  if (instances !== undefined) {
    routes.push(...instanceRoutes(services, instances), ...relayTokenRoutes(services, (seId) => instances.relayToken(seId)), ...seAuditRoutes(services, instances.provisioning));
  }
  const openapi: RouteSpec = {
    method: 'GET', url: '/openapi.json', operationId: 'GetOpenApiDocument', tags: ['operations'], roles: 'public',
    summary: 'This API as an OpenAPI 3.1 document', schema: { response: { 200: { type: 'object', additionalProperties: true } } },
    handler: () => Promise.resolve(document),
  };
  routes.push(openapi);
  const document = buildOpenApi(routes, API_VERSION);
  const limiter = deps.authLimiter === false ? undefined : new AuthLimiter(deps.authLimiter ?? {});
  const verified = deps.credentialCache === false ? undefined : new VerifiedCredentials(deps.credentialCache ?? {});
  for (const route of routes) register(app, route, deps, limiter, verified);
  return app;
}
