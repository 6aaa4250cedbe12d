/**
 * The webhook endpoint routes through app.inject() (docs/webhooks.md §1): create (the secret once),
 * list, read, delete; 400 for bad URLs and event lists, 401 without credentials, 403 for another
 * role, 404 for another tenant's endpoint; the secret shown is the one deliveries are signed with,
 * and it is nowhere in the log, the store or the HSM's audit trail afterwards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { addApiClient, MAX_WEBHOOK_ENDPOINTS, WebhookDispatcher } from '../../../src/tsm/index.ts';
import { bearer, errorOf, withApp, type HttpFixture } from '../http/fixture.ts';
import { startReceiver } from './fixture.ts';

const URL_OK = 'https://hooks.bank-a.example/opentsm?v=1';

async function create(f: HttpFixture, token: string, payload: unknown) {
  return f.app.inject({ method: 'POST', url: '/v1/sp/webhooks', headers: bearer(token), payload: payload as Record<string, unknown> });
}

/** Every row of every table, as text (SQLite). */
async function dumpStore(f: HttpFixture): Promise<string> {
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(f.db);
  const out: string[] = [];
  for (const { name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(f.db);
    out.push(JSON.stringify(rows.rows, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
  }
  return out.join('\n');
}

describe('webhook routes', () => {
  it('create (201, secret once), list and read (no secret), delete (204, then 404)', () =>
    withApp(async (f) => {
      const auth = bearer(f.tokens.spA);
      const r = await create(f, f.tokens.spA, { url: URL_OK, events: ['job.started', 'job.succeeded', 'job.failed'] });
      assert.equal(r.statusCode, 201, r.body);
      const created = r.json<{ endpointId: string; url: string; events: string[]; createdAt: string; secret: string }>();
      assert.match(created.endpointId, /^whe_[0-9a-f]{24}$/);
      assert.match(created.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual([created.url, created.events], [URL_OK, ['job.started', 'job.succeeded', 'job.failed']]);
      const list = await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks', headers: auth });
      assert.equal(list.statusCode, 200);
      const { secret, ...shown } = created;
      assert.deepEqual(list.json(), { endpoints: [shown] });
      assert.ok(!list.body.includes(secret));
      const one = await f.app.inject({ method: 'GET', url: `/v1/sp/webhooks/${created.endpointId}`, headers: auth });
      assert.deepEqual([one.statusCode, one.json()], [200, shown]);
      const del = await f.app.inject({ method: 'DELETE', url: `/v1/sp/webhooks/${created.endpointId}`, headers: auth });
      assert.deepEqual([del.statusCode, del.body], [204, '']);
      for (const method of ['GET', 'DELETE'] as const) {
        assert.equal((await f.app.inject({ method, url: `/v1/sp/webhooks/${created.endpointId}`, headers: auth })).statusCode, 404);
      }
      assert.deepEqual((await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks', headers: auth })).json(), { endpoints: [] });
    }));

  it('400 for a URL that is not https (http only to loopback), carries credentials or a fragment, and for bad event lists', () =>
    withApp(async (f) => {
      const bad: [unknown, string][] = [
        [{ url: 'http://hooks.bank-a.example/x', events: ['job.started'] }, 'url: https only (http only to a loopback address)'],
        [{ url: 'http://10.0.0.1/x', events: ['job.started'] }, 'url: https only (http only to a loopback address)'],
        [{ url: 'ftp://hooks.bank-a.example/x', events: ['job.started'] }, 'url: https only (http only to a loopback address)'],
        [{ url: 'https://user:pw@hooks.bank-a.example/x', events: ['job.started'] }, 'url: credentials in the URL are refused'],
        [{ url: 'https://token@hooks.bank-a.example/x', events: ['job.started'] }, 'url: credentials in the URL are refused'],
        [{ url: 'https://hooks.bank-a.example/x#frag', events: ['job.started'] }, 'url: a fragment is refused'],
        [{ url: 'not a url', events: ['job.started'] }, ''],
        [{ url: 'relative/path', events: ['job.started'] }, 'url: not an absolute URL'],
        [{ url: URL_OK, events: [] }, ''],
        [{ url: URL_OK, events: ['job.nope'] }, ''],
        [{ url: URL_OK, events: ['job.started', 'job.started'] }, ''],
        [{ url: URL_OK, events: ['job.started'], secret: 'mine' }, ''],
        [{ url: URL_OK }, ''],
      ];
      for (const [payload, message] of bad) {
        const r = await create(f, f.tokens.spA, payload);
        assert.equal(r.statusCode, 400, JSON.stringify(payload));
        if (message !== '') assert.equal(errorOf(r.body).message, message);
        assert.ok(!r.body.includes('pw@') && !r.body.includes('token@'), 'the URL is never quoted');
      }
      for (const url of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://[::1]:9/x', 'https://203.0.113.9/x']) {
        assert.equal((await create(f, f.tokens.spA, { url, events: ['instance.state'] })).statusCode, 201, url);
      }
    }));

  it('401 without or with wrong credentials, 403 for an issuer client, 404 for another tenant\'s endpoint; 409 past the endpoint limit', () =>
    withApp(async (f) => {
      const spB = (await addApiClient(f.db, f.t.hsm, { tenant: 'bank-b', role: 'sp' })).token;
      const { endpointId } = (await create(f, f.tokens.spA, { url: URL_OK, events: ['job.started'] })).json<{ endpointId: string }>();
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks' })).statusCode, 401);
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks', headers: bearer(`${f.tokens.spA}x`) })).statusCode, 401);
      assert.equal((await create(f, f.tokens.issuerA, { url: URL_OK, events: ['job.started'] })).statusCode, 403);
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks', headers: bearer(f.tokens.issuerA) })).statusCode, 403);
      for (const method of ['GET', 'DELETE'] as const) {
        const r = await f.app.inject({ method, url: `/v1/sp/webhooks/${endpointId}`, headers: bearer(spB) });
        assert.equal(r.statusCode, 404);
      }
      assert.deepEqual((await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks', headers: bearer(spB) })).json(), { endpoints: [] });
      assert.equal((await f.app.inject({ method: 'GET', url: `/v1/sp/webhooks/${endpointId}`, headers: bearer(f.tokens.spA) })).statusCode, 200, 'still there');
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks/not-an-id', headers: bearer(f.tokens.spA) })).statusCode, 404);
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks/bad%20id', headers: bearer(f.tokens.spA) })).statusCode, 400);
      for (let i = 1; i < MAX_WEBHOOK_ENDPOINTS; i++) assert.equal((await create(f, f.tokens.spA, { url: URL_OK, events: ['job.started'] })).statusCode, 201);
      assert.equal((await create(f, f.tokens.spA, { url: URL_OK, events: ['job.started'] })).statusCode, 409);
      assert.equal((await create(f, spB, { url: URL_OK, events: ['job.started'] })).statusCode, 201, 'the limit is per tenant');
    }));

  it('the secret shown is the one a dispatcher re-derives to sign with; it is in no log line, store row or HSM audit event', () =>
    withApp(async (f) => {
      const rx = await startReceiver([200]);
      const dispatcher = new WebhookDispatcher({ db: f.db, hsm: f.t.hsm });
      try {
        const r = await create(f, f.tokens.spA, { url: rx.url, events: ['job.succeeded'] });
        const { secret, endpointId } = r.json<{ secret: string; endpointId: string }>();
        const second = await create(f, f.tokens.spA, { url: rx.url, events: ['job.succeeded'] });
        const other = second.json<{ secret: string }>().secret;
        assert.notEqual(other, secret, 'one secret per endpoint');
        await dispatcher.enqueue('bank-a', 'job.succeeded', { jobId: 'job_1', state: 'succeeded' });
        await rx.received(2);
        await dispatcher.whenIdle();
        assert.equal(rx.requests.filter((q) => verifyWith(secret, q.headers['opentsm-signature'], q.body)).length, 1, 'one delivery verifies with the secret the route showed');
        assert.equal(rx.requests.filter((q) => verifyWith(other, q.headers['opentsm-signature'], q.body)).length, 1);
        await f.app.inject({ method: 'GET', url: '/v1/sp/webhooks', headers: bearer(f.tokens.spA) });
        await f.app.inject({ method: 'DELETE', url: `/v1/sp/webhooks/${endpointId}`, headers: bearer(f.tokens.spA) });

        const raw = Buffer.from(secret.slice('whsec_'.length), 'base64url');
        const needles = [secret, secret.slice(6), raw.toString('hex'), raw.toString('base64'), other.slice(6)];
        const haystacks = { log: f.logs.join('\n'), store: await dumpStore(f), audit: JSON.stringify(f.t.audit.events) };
        assert.ok(haystacks.store.includes(endpointId) && haystacks.store.includes('job_1'), 'the dump holds the delivery rows');
        assert.ok(haystacks.audit.length > 100, 'the audit trail holds the HSM calls');
        for (const [where, text] of Object.entries(haystacks)) {
          for (const needle of needles) assert.ok(!text.toLowerCase().includes(needle.toLowerCase()), `${where} holds the secret (${needle.slice(0, 4)}…)`);
        }
      } finally {
        await dispatcher.close();
        await rx.close();
      }
    }));
});

function verifyWith(secret: string, header: string | string[] | undefined, body: string): boolean {
  const m = typeof header === 'string' ? /^t=([0-9]+),v1=([0-9a-f]{64})$/.exec(header) : null;
  return m !== null && createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex') === m[2];
}
