/**
 * The OpenAPI 3.1 document of the service, generated from the route list the app registers
 * (route.ts): paths, operation ids, parameters, request and response schemas, security. OpenAPI
 * 3.1 takes JSON Schema as is, so the validation schemas are copied in unchanged.
 */
import type { RouteSpec } from './route.ts';
import type { JsonSchema } from './schemas.ts';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 400: 'Invalid request', 401: 'Missing or invalid credentials',
  403: 'Role not allowed', 404: 'Not found', 409: 'Conflict', 413: 'Body over the limit', 415: 'Not JSON', 500: 'Internal error',
  501: 'Not implemented', 503: 'Unavailable',
};

/** `/v1/issuer/cards/:cardId` → `/v1/issuer/cards/{cardId}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: JsonSchema | undefined, where: 'path' | 'header'): unknown[] {
  const properties = (schema?.['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema?.['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: s }));
}

function operation(route: RouteSpec): Record<string, unknown> {
  const responses = Object.fromEntries(
    Object.entries(route.schema.response).map(([status, schema]) => [
      status,
      schema === null
        ? { description: STATUS_TEXT[Number(status)] ?? status }
        : { description: STATUS_TEXT[Number(status)] ?? status, content: { 'application/json': { schema } } },
    ]),
  );
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [...route.tags],
    ...(route.roles === 'public' ? { security: [] } : { security: [{ bearer: [] }, { basic: [] }], 'x-opentsm-roles': [...route.roles] }),
    ...(route.schema.params === undefined && route.schema.headers === undefined
      ? {}
      : { parameters: [...parameters(route.schema.params, 'path'), ...parameters(route.schema.headers, 'header')] }),
    ...(route.schema.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: route.schema.body } } } }),
    responses,
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = (paths[openApiPath(route.url)] ??= {});
    path[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'OpenTSM',
      version,
      description: 'Trusted Service Manager API. Operation ids keep the GlobalPlatform System Messaging (GPS_SPE_002) names where one exists. Bytes are hex strings.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <client-id>.<secret>`' },
        basic: { type: 'http', scheme: 'basic', description: 'client id as user name, secret as password' },
      },
    },
    paths,
  };
}
