/**
 * Liveness and readiness, without credentials (for load balancers and orchestrators): `/healthz`
 * answers while the process runs; `/readyz` checks that the store answers a query and that the
 * HSM performs an operation (8 random bytes), and says which failed — no more detail than that.
 */
import { sql } from 'kysely';
import type { FastifyReply } from 'fastify';
import type { Hsm } from '../../../hsm/index.ts';
import type { StoreDb } from '../../../store/index.ts';
import { operatorContext } from '../credentials.ts';
import type { RouteSpec } from '../route.ts';
import { objectSchema } from '../schemas.ts';

const CHECK = { type: 'string', enum: ['ok', 'failed'] } as const;
const READY = objectSchema({ status: { type: 'string', enum: ['ready', 'unavailable'] }, checks: objectSchema({ store: CHECK, hsm: CHECK }, ['store', 'hsm']) }, ['status', 'checks']);

async function check(run: () => Promise<unknown>): Promise<'ok' | 'failed'> {
  try {
    await run();
    return 'ok';
  } catch {
    return 'failed';
  }
}

/** `/healthz` and `/readyz`. */
export function healthRoutes(db: StoreDb, hsm: Hsm): RouteSpec[] {
  return [
    {
      method: 'GET', url: '/healthz', operationId: 'GetHealth', tags: ['operations'], roles: 'public',
      summary: 'Liveness: the process is up',
      schema: { response: { 200: objectSchema({ status: { type: 'string', enum: ['ok'] } }, ['status']) } },
      handler: () => Promise.resolve({ status: 'ok' }),
    },
    {
      method: 'GET', url: '/readyz', operationId: 'GetReadiness', tags: ['operations'], roles: 'public',
      summary: 'Readiness: the store answers and the HSM works',
      schema: { response: { 200: READY, 503: READY } },
      handler: async (request, reply: FastifyReply) => {
        const [store, hsmCheck] = await Promise.all([
          check(() => sql`select 1`.execute(db)),
          check(() => hsm.random(8, operatorContext('readyz', request.id))),
        ]);
        const ready = store === 'ok' && hsmCheck === 'ok';
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { store, hsm: hsmCheck } });
      },
    },
  ];
}
