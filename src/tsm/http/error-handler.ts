/**
 * Turns anything a route throws into the one error shape (schemas.ts ERROR_SCHEMA) through the
 * registry (error-registry.ts): schema violations name the field and the rule, never the value;
 * unknown errors are a 500 with the request id, their detail only in the log.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OpenTsmError } from '../../bytes/index.ts';
import { INTERNAL_ERROR, mapError } from './error-registry.ts';

interface AjvError { readonly instancePath?: string; readonly keyword?: string; readonly message?: string; readonly params?: Record<string, unknown> }

/** A field name a caller chose, made safe to print (it may be anything). */
function safeName(name: unknown): string {
  return typeof name === 'string' ? name.replace(/[^A-Za-z0-9_-]/g, '?').slice(0, 32) : '?';
}

/** `body.data.9F02: must match pattern …` from Ajv's first error; values are never quoted. */
export function validationMessage(context: string | undefined, errors: readonly AjvError[]): string {
  const e = errors[0];
  if (e === undefined) return `${context ?? 'request'}: not valid`;
  const path = [context ?? 'request', ...(e.instancePath ?? '').split('/').filter((s) => s !== '').map(safeName)];
  if (e.keyword === 'required') return `${[...path, safeName(e.params?.['missingProperty'])].join('.')}: is required`;
  if (e.keyword === 'additionalProperties') return `${[...path, safeName(e.params?.['additionalProperty'])].join('.')}: is not allowed`;
  return `${path.join('.')}: ${e.message ?? 'not valid'}`;
}

function send(reply: FastifyReply, status: number, code: string, message: string, requestId: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="opentsm", Basic realm="opentsm", charset="UTF-8"');
  return reply.code(status).send({ error: { code, message, requestId } });
}

/** Fastify's error handler for the app. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (Array.isArray(error.validation)) {
    return send(reply, 400, 'INVALID_ARGUMENT', validationMessage(error.validationContext, error.validation), request.id);
  }
  const mapping = mapError(error);
  if (mapping === undefined || mapping.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  } else if (mapping.status !== 401 && mapping.status !== 404) {
    request.log.info({ code: (error as { code?: unknown }).code }, 'request refused');
  }
  const m = mapping ?? INTERNAL_ERROR;
  const message = m.passMessage === true && error instanceof OpenTsmError ? error.message : m.message;
  return send(reply, m.status, m.error, message, request.id);
}

/** Fastify's not-found handler: a JSON 404 like every other error. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return send(reply, 404, 'NOT_FOUND', 'no such route', request.id);
}
