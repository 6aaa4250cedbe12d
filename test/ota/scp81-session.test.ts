/**
 * A whole SCP81 administration session on loopback (GPC Amd B): the agent POSTs to the admin URI,
 * the server answers two scripts via Next-URI, the agent posts each report, 204 ends; then resume
 * after dropped connections (X-Admin-Resume), and what the server does with hostile requests.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import type { AddressInfo } from 'node:net';
import { adminAnswer, connectPsk, createPskServer, MemoryPskStore, OtaError, runAdminSession, SCP81_CIPHERS, type AgentPost } from '../../src/ota/index.ts';
import { AGENT_ID, dialogServer, IDENTITY, KEY, OTHER_KEY, responseFor, SCRIPTS, scriptedCard, until } from './scp81-helpers.ts';

const agentOptions = (port: number) => ({ host: '127.0.0.1', port, identity: IDENTITY, psk: KEY, agentId: AGENT_ID, adminUri: '/scp81' });

describe('SCP81 session', () => {
  for (const cipher of SCP81_CIPHERS) {
    it(`runs a whole session over ${cipher}`, async () => {
      const t = await dialogServer(SCRIPTS, { ciphers: [cipher] });
      try {
        const card = scriptedCard();
        const result = await runAdminSession({ ...agentOptions(t.server.port), ciphers: [cipher], execute: card.execute });
        assert.equal(result.scripts, 2);
        assert.equal(t.dialog.state, 'done');
      } finally {
        await t.server.close();
      }
    });
  }

  it('runs two scripts via Next-URI and ends on 204', async () => {
    const t = await dialogServer();
    const seen: AgentPost[] = [];
    const inner = t.dialog.answer.bind(t.dialog);
    t.dialog.answer = (p) => (seen.push(p), inner(p));
    try {
      const card = scriptedCard();
      const result = await runAdminSession({ ...agentOptions(t.server.port), execute: card.execute });
      assert.deepEqual(result, { exchanges: 3, scripts: 2, resumes: 0, lastUnreported: false });
      assert.deepEqual(card.executed, SCRIPTS.map(toHex));
      assert.equal(t.dialog.state, 'done');
      assert.deepEqual(t.dialog.reports.map((r) => r && toHex(r.body)), SCRIPTS.map((s) => toHex(responseFor(s))));
      assert.deepEqual(seen.map((p) => [p.uri, p.from, p.report?.status, p.resume]), [
        ['/scp81', AGENT_ID, undefined, false],
        ['/scp81/s/7f3a/0', AGENT_ID, 'ok', false],
        ['/scp81/s/7f3a/1', AGENT_ID, 'ok', false],
      ]);
      assert.deepEqual(t.errors, []);
    } finally {
      await t.server.close();
    }
  });

  it('stops handing out scripts after a report that is not ok', async () => {
    const t = await dialogServer();
    try {
      const executed: string[] = [];
      const result = await runAdminSession({
        ...agentOptions(t.server.port),
        execute: (s) => (executed.push(toHex(s.body)), { status: 'security-error', body: new Uint8Array(0) }),
      });
      assert.equal(result.scripts, 1);
      assert.equal(t.dialog.state, 'failed');
      assert.equal(t.dialog.reports[0]?.status, 'security-error');
    } finally {
      await t.server.close();
    }
  });

  it('resumes with X-Admin-Resume after the connection drops before the answer (report recorded once, nothing runs twice)', async () => {
    const t = await dialogServer();
    let dropped = false;
    const inner = t.dialog.answer.bind(t.dialog);
    t.dialog.answer = (p) => {
      const answer = inner(p);
      // The report of script 0 is recorded, then the connection dies before script 1 goes out.
      if (p.report !== undefined && !dropped) {
        dropped = true;
        t.server.dropConnections(IDENTITY);
      }
      return answer;
    };
    try {
      const card = scriptedCard();
      const result = await runAdminSession({ ...agentOptions(t.server.port), execute: card.execute, retry: { attempts: 2, delayMs: 10 } });
      assert.equal(result.resumes, 1);
      assert.deepEqual(card.executed, SCRIPTS.map(toHex));
      assert.equal(t.dialog.state, 'done');
      assert.equal(t.dialog.resumes, 1);
    } finally {
      await t.server.close();
    }
  });

  it('resumes after the connection drops before the server reads the POST', async () => {
    const t = await dialogServer();
    let drops = 0;
    const inner = t.dialog.answer.bind(t.dialog);
    t.dialog.answer = (p) => {
      if (p.report !== undefined && drops < 2) {
        drops++;
        t.server.dropConnections();
        throw new OtaError('ERR_OTA_TRANSPORT', 'dropped for the test');
      }
      return inner(p);
    };
    try {
      const card = scriptedCard();
      const result = await runAdminSession({ ...agentOptions(t.server.port), execute: card.execute, retry: { attempts: 2, delayMs: 10 } });
      assert.equal(result.resumes, 2);
      assert.deepEqual(card.executed, SCRIPTS.map(toHex));
      assert.equal(t.dialog.state, 'done');
    } finally {
      await t.server.close();
    }
  });

  it('gives up with ERR_OTA_TRANSPORT after its retries', async () => {
    const t = await dialogServer();
    t.dialog.answer = () => {
      t.server.dropConnections();
      throw new OtaError('ERR_OTA_TRANSPORT', 'dropped for the test');
    };
    try {
      const card = scriptedCard();
      await assert.rejects(
        runAdminSession({ ...agentOptions(t.server.port), execute: card.execute, retry: { attempts: 1, delayMs: 5 } }),
        (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_TRANSPORT',
      );
      assert.deepEqual(card.executed, []);
    } finally {
      await t.server.close();
    }
  });

  it('follows a 204 with Next-URI, passes the targeted application on, and runs a last script that has no Next-URI', async () => {
    const posts: AgentPost[] = [];
    const aid = fromHex('A0000001515350');
    const answers = [
      adminAnswer({ script: undefined, nextUri: '/scp81/other', targetedApplication: undefined }),
      adminAnswer({ script: SCRIPTS[0], nextUri: '/scp81/other/r', targetedApplication: aid }),
      adminAnswer({ script: SCRIPTS[1], nextUri: undefined, targetedApplication: undefined }),
    ];
    const t = await dialogServer(SCRIPTS, { handle: (p) => (posts.push(p), answers[posts.length - 1]!) });
    try {
      const targets: (string | undefined)[] = [];
      const result = await runAdminSession({
        ...agentOptions(t.server.port),
        execute: (s) => (targets.push(s.targetedApplication && toHex(s.targetedApplication)), { status: 'ok', body: responseFor(s.body) }),
      });
      assert.deepEqual(result, { exchanges: 3, scripts: 2, resumes: 0, lastUnreported: true });
      assert.deepEqual(posts.map((p) => [p.uri, p.report?.status]), [['/scp81', undefined], ['/scp81/other', undefined], ['/scp81/other/r', 'ok']]);
      assert.deepEqual(targets, ['A0000001515350', undefined]);
    } finally {
      await t.server.close();
    }
  });

  it('accepts a report in chunked transfer coding, as cards send it', async () => {
    const posts: AgentPost[] = [];
    const t = await dialogServer(SCRIPTS, { handle: (p) => (posts.push(p), adminAnswer({ script: undefined, nextUri: undefined, targetedApplication: undefined })) });
    try {
      const socket = await connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY });
      const body = Buffer.from('AF80800101230290000000', 'hex');
      const reply = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => ((text += d.toString('latin1')), text.includes('\r\n\r\n') && resolve(text)));
        socket.on('error', () => resolve(text));
        socket.write(
          'POST /scp81/s/1/0 HTTP/1.1\r\nHost: tsm\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n' +
            'Content-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\nX-Admin-Script-Status: ok\r\n' +
            'Transfer-Encoding: chunked\r\n\r\n',
        );
        socket.write(Buffer.concat([Buffer.from('4\r\n'), body.subarray(0, 4), Buffer.from('\r\n7\r\n'), body.subarray(4), Buffer.from('\r\n0\r\n\r\n')]));
      });
      socket.destroy();
      assert.match(reply, /^HTTP\/1\.1 204 /);
      assert.equal(toHex(posts[0]!.report!.body), 'AF80800101230290000000');
    } finally {
      await t.server.close();
    }
  });

  it('the agent refuses a script over its bound and runs nothing', async () => {
    const t = await dialogServer();
    try {
      const card = scriptedCard();
      await assert.rejects(
        runAdminSession({ ...agentOptions(t.server.port), execute: card.execute, limits: { maxScriptBytes: 8 } }),
        (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_ADMIN' && /over 8 bytes/.test(e.message),
      );
      assert.deepEqual(card.executed, []);
    } finally {
      await t.server.close();
    }
  });

  for (const [name, wrong] of [['a wrong PSK', { psk: OTHER_KEY }], ['an unknown identity', { identity: 'scp81-se-9999' }]] as const) {
    it(`${name} ends in ERR_OTA_TLS on both sides before any HTTP exchange, without retries`, async () => {
      const t = await dialogServer();
      let handled = 0;
      const inner = t.dialog.answer.bind(t.dialog);
      t.dialog.answer = (p) => (handled++, inner(p));
      try {
        const card = scriptedCard();
        await assert.rejects(
          runAdminSession({ ...agentOptions(t.server.port), ...wrong, execute: card.execute }),
          (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_TLS' && e.message === 'SCP81 TLS-PSK handshake failed',
        );
        await until(() => t.errors.length > 0);
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(handled, 0);
        assert.deepEqual(card.executed, []);
        assert.equal(t.errors.length, 1, t.errors.map((e) => `${e.code} ${e.message} ${String(e.cause)}`).join('; '));
        assert.equal(t.errors[0]!.code, 'ERR_OTA_TLS');
      } finally {
        await t.server.close();
      }
    });
  }

  it('refuses hostile requests with a bare status and stays up', async () => {
    const t = await dialogServer(SCRIPTS, { limits: { maxResponseBytes: 64 }, maxHeaderBytes: 2048 });
    try {
      const cases: [string, number][] = [
        ['GET /scp81 HTTP/1.1\r\nHost: x\r\n\r\n', 405],
        ['POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', 404],
        ['POST /scp81 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', 400],
        ['POST /scp81 HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.1\r\nX-Admin-From: a\r\nContent-Length: 0\r\n\r\n', 400],
        ['POST /scp81 HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: a\r\nContent-Length: 0\r\n\r\n', 400],
        ['POST /scp81/s/7f3a/5 HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Script-Status: ok\r\nContent-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\nContent-Length: 2\r\n\r\nAF', 400],
        [`POST /scp81 HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nContent-Length: 100\r\n\r\n${'A'.repeat(100)}`, 413],
        [`POST /scp81 HTTP/1.1\r\nHost: x\r\nX-Admin-From: ${'a'.repeat(4096)}\r\n\r\n`, 431],
        ['POST /scp81 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\nZZ\r\n', 400],
      ];
      for (const [raw, status] of cases) {
        const socket = await connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY });
        const reply = await new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
          socket.on('error', () => resolve(text));
          socket.on('close', () => resolve(text));
          socket.write(raw);
        });
        assert.match(reply, new RegExp(`^HTTP/1\\.1 ${status} `), `${JSON.stringify(raw.slice(0, 60))} → ${reply.slice(0, 40)}`);
        assert.doesNotMatch(reply, /X-Admin-Next-URI/i);
      }
      // Still serving: a proper session runs to its end.
      const card = scriptedCard();
      assert.equal((await runAdminSession({ ...agentOptions(t.server.port), execute: card.execute })).scripts, 2);
    } finally {
      await t.server.close();
    }
  });
});

describe('SCP81 agent against a broken server', () => {
  /** A raw TLS-PSK server that answers every connection with `reply` (or nothing). */
  async function rawServer(reply: string | undefined): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
    const store = new MemoryPskStore();
    store.put(IDENTITY, KEY, 60_000);
    let connections = 0;
    const { server } = createPskServer({ psk: store }, (socket) => {
      connections++;
      socket.on('error', () => undefined);
      socket.once('data', () => {
        if (reply !== undefined) socket.end(reply);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as AddressInfo).port,
      connections: () => connections,
      close: () => new Promise((r) => (server.close(() => r()), setTimeout(r, 50))),
    };
  }

  const code = (c: string) => (e: unknown) => e instanceof OtaError && e.code === c;

  it('a malformed or oversized answer is ERR_OTA_ADMIN, not retried', async () => {
    for (const reply of ['HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n', `HTTP/1.1 204 No Content\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`, 'SSH-2.0-OpenSSH\r\n\r\n']) {
      const s = await rawServer(reply);
      try {
        const card = scriptedCard();
        await assert.rejects(runAdminSession({ ...agentOptions(s.port), execute: card.execute, retry: { attempts: 2, delayMs: 5 } }), code('ERR_OTA_ADMIN'), JSON.stringify(reply.slice(0, 30)));
        assert.equal(s.connections(), 1);
      } finally {
        await s.close();
      }
    }
  });

  it('a server that never answers times out as ERR_OTA_TRANSPORT after the retries', async () => {
    const s = await rawServer(undefined);
    try {
      await assert.rejects(
        runAdminSession({ ...agentOptions(s.port), execute: scriptedCard().execute, timeoutMs: 100, retry: { attempts: 1, delayMs: 5 } }),
        code('ERR_OTA_TRANSPORT'),
      );
      assert.equal(s.connections(), 2);
    } finally {
      await s.close();
    }
  });

  it('no server at all is ERR_OTA_TRANSPORT', async () => {
    const s = await rawServer(undefined);
    const port = s.port;
    await s.close();
    await assert.rejects(runAdminSession({ ...agentOptions(port), execute: scriptedCard().execute, retry: { attempts: 1, delayMs: 5 } }), code('ERR_OTA_TRANSPORT'));
  });
});
