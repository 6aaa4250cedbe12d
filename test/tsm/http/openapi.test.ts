/**
 * /openapi.json is an OpenAPI 3.1 document generated from the routes the app registers: every
 * registered route is in it with a unique operation id, its path parameters, its request body
 * schema and its response schemas — the very objects Fastify validates with.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { registeredRoutes } from '../../../src/tsm/index.ts';
import { withApp } from './fixture.ts';

interface Operation { operationId?: string; parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses?: Record<string, unknown>; security?: unknown[] }

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every registered route with an operation id and schemas', () =>
    withApp(async (f) => {
      const r = await f.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(r.statusCode, 200);
      const doc = r.json<{ openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>> }>();
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.info.title.length > 0 && doc.info.version.length > 0);
      const routes = registeredRoutes(f.app).filter((route) => route.method !== 'HEAD');
      assert.ok(routes.length >= 9, `${routes.length} routes`);
      const ids = new Set<string>();
      for (const route of routes) {
        const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        const op = doc.paths[path]?.[route.method.toLowerCase()];
        assert.ok(op !== undefined, `${route.method} ${route.url} is missing from the document`);
        assert.match(op.operationId ?? '', /^[A-Z][A-Za-z]+$/, `${route.method} ${route.url}`);
        assert.ok(!ids.has(op.operationId!), `duplicate operationId ${op.operationId}`);
        ids.add(op.operationId!);
        assert.ok(op.responses !== undefined && Object.keys(op.responses).some((s) => s.startsWith('2')), `${op.operationId}: a success response`);
        for (const name of route.url.match(/:([A-Za-z0-9_]+)/g) ?? []) {
          assert.ok(op.parameters?.some((p) => p.in === 'path' && p.name === name.slice(1)), `${op.operationId}: path parameter ${name}`);
        }
        if (route.method === 'POST' && !route.url.startsWith('/openapi')) {
          const schema = op.requestBody?.content['application/json']?.schema as { type?: string } | undefined;
          assert.equal(schema?.type, 'object', `${op.operationId}: request body schema`);
        }
      }
      // Every operation in the document is a registered route (nothing documented that does not exist).
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      assert.equal(documented.length, routes.length);
      for (const id of ['AuthorizeTransaction', 'RegisterIssuerCard', 'GetIssuerCardState', 'TerminateIssuerCard', 'QueueIssuerScript', 'ConfirmIssuerScripts', 'GetHealth', 'GetReadiness']) {
        assert.ok(ids.has(id), id);
      }
      const authz = doc.paths['/v1/authorizations']!['post']!;
      assert.deepEqual(authz.security, [{ bearer: [] }, { basic: [] }]);
      assert.deepEqual(doc.paths['/healthz']!['get']!.security, []);
    }));
});
