/**
 * JSON Schema building blocks shared by the routes. The same objects validate requests (Ajv, in
 * Fastify), shape responses (fast-json-stringify: only declared fields leave the server) and are
 * the OpenAPI 3.1 document (openapi.ts). Only the subset JSON Schema draft-07 and 2020-12 read the
 * same way is used: type, properties, required, additionalProperties, pattern, enum, min/max.
 */

/** A JSON Schema object (kept loose: it is data for Ajv and for the OpenAPI document). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Bytes as hex in JSON (CONVENTIONS.md §1): `min`..`max` bytes, either case. */
export function hexSchema(min: number, max: number, description: string): JsonSchema {
  return { type: 'string', pattern: `^([0-9A-Fa-f]{2}){${min},${max}}$`, description };
}

/** An object with exactly these properties (unknown fields are refused, not dropped). */
export function objectSchema(properties: Record<string, JsonSchema>, required: readonly string[], description?: string): JsonSchema {
  return { type: 'object', properties, required: [...required], additionalProperties: false, ...(description === undefined ? {} : { description }) };
}

/** Every error answer: a stable public code, a message without internal detail, the request id. */
export const ERROR_SCHEMA: JsonSchema = objectSchema(
  {
    error: objectSchema(
      {
        code: { type: 'string', description: 'stable public code (docs/service.md §4)' },
        message: { type: 'string', description: 'what was wrong; names a field, never its value' },
        requestId: { type: 'string', description: 'quote it to the operator: the log has the detail' },
      },
      ['code', 'message', 'requestId'],
    ),
  },
  ['error'],
  'An error',
);

/** The error statuses every authenticated route may answer. */
export function errorResponses(...statuses: readonly number[]): Record<number, JsonSchema> {
  return Object.fromEntries([400, 401, 403, 413, 415, 429, 500, 503, ...statuses].map((s) => [s, ERROR_SCHEMA]));
}

/** A path parameter: letters, digits, `_` and `-`, at most 64 characters. */
export const ID_SCHEMA: JsonSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' };

/** An HSM key reference of the caller's tenant: a key id (UUID) or a label naming one active key. */
export function keyRefSchema(description: string): JsonSchema {
  return { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7E]+$', description };
}
