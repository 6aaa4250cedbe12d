/**
 * Hostile frames on the TEE Client API wire. TEE side: a client that sends an oversized length, a
 * frame that is not JSON, a request of the wrong shape, five parameters, an oversized memref or a
 * wrong-typed field loses its connection — and the TEE goes on serving others. Client side: a
 * "TEE" that answers garbage fails the call with ERR_DEVICE_TEE (COMMUNICATION). The decoder:
 * random byte streams, cut at random places, end only in frames or ERR_DEVICE_TEE.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DeviceError, FrameDecoder, MAX_FRAME, TEEC_RESULT, TeecContext, encodeFrame } from '../../../src/device/index.ts';
import { ECHO_TA_UUID, inProcessTee } from './fixture.ts';

function frame(json: string): Uint8Array {
  const body = new TextEncoder().encode(json);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

const HOSTILE: readonly [string, Uint8Array][] = [
  ['a length above MAX_FRAME', Uint8Array.of(0x7f, 0xff, 0xff, 0xff)],
  ['a zero length', Uint8Array.of(0, 0, 0, 0)],
  ['not JSON', frame('{"op":')],
  ['not UTF-8', Uint8Array.of(0, 0, 0, 2, 0xc3, 0x28)],
  ['an array', frame('[1,2]')],
  ['an unknown op', frame('{"op":"format","id":1}')],
  ['a negative id', frame('{"op":"open","id":-1,"uuid":"0e0e0e0e-0000-4000-8000-000000000001","login":0}')],
  ['five parameters', frame(JSON.stringify({ op: 'invoke', id: 1, session: 1, cmd: 1, params: [{ t: 0 }, { t: 0 }, { t: 0 }, { t: 0 }, { t: 0 }] }))],
  ['an oversized memref', frame(JSON.stringify({ op: 'invoke', id: 1, session: 1, cmd: 1, params: [{ t: 5, d: '00'.repeat(5000) }] }))],
  ['a memref that is not hex', frame(JSON.stringify({ op: 'invoke', id: 1, session: 1, cmd: 1, params: [{ t: 5, d: 'zz' }] }))],
  ['an output memref without a size', frame(JSON.stringify({ op: 'invoke', id: 1, session: 1, cmd: 1, params: [{ t: 6 }] }))],
  ['a value that is not 32-bit', frame(JSON.stringify({ op: 'invoke', id: 1, session: 1, cmd: 1, params: [{ t: 1, a: 2 ** 33, b: 0 }] }))],
  ['a parameter type the model does not carry (whole memref)', frame(JSON.stringify({ op: 'invoke', id: 1, session: 1, cmd: 1, params: [{ t: 0xc }] }))],
  ['a login that is not a TEEC_LOGIN', frame('{"op":"open","id":1,"uuid":"0e0e0e0e-0000-4000-8000-000000000001","login":3}')],
];

/** A well-formed open with a `__proto__` key: answered, and nothing polluted. */
const POLLUTION = frame('{"op":"open","id":1,"uuid":"0e0e0e0e-0000-4000-8000-000000000001","login":0,"__proto__":{"admin":true}}');

describe('TEE wire: hostile frames', () => {
  it('the TEE drops a client that sends a hostile frame and serves the next client', async () => {
    const tee = await inProcessTee();
    try {
      for (const [name, bytes] of HOSTILE) {
        const socket = createConnection({ path: tee.endpoint });
        await once(socket, 'connect');
        const answers: Buffer[] = [];
        socket.on('data', (b: Buffer) => answers.push(b));
        socket.write(bytes);
        const closed = once(socket, 'close');
        const timer = setTimeout(() => socket.destroy(new Error('not dropped')), 2000);
        await closed;
        clearTimeout(timer);
        assert.equal(answers.length, 0, name);
      }
      const socket = createConnection({ path: tee.endpoint });
      await once(socket, 'connect');
      socket.write(POLLUTION);
      const [answer] = (await once(socket, 'data')) as [Buffer];
      assert.match(answer.subarray(4).toString(), /"result":0/);
      assert.equal(({} as Record<string, unknown>).admin, undefined);
      socket.destroy();
      const ctx = await TeecContext.initialize(tee.endpoint);
      await (await ctx.openSession(ECHO_TA_UUID)).close();
      await ctx.finalize();
    } finally {
      await tee.close();
    }
  });

  it('a TEE that answers garbage fails the call with ERR_DEVICE_TEE COMMUNICATION', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-fake-tee-'));
    const path = join(dir, 'fake.sock');
    const replies = [frame('{"id":1}'), frame('{"id":99,"result":0,"origin":3}'), Uint8Array.of(0xff, 0xff, 0xff, 0xff), frame('{"id":1,"result":0,"origin":3,"params":[{"t":6,"d":"' + '00'.repeat(4097) + '"}]}')];
    let n = 0;
    const server = createServer((socket) => {
      const reply = replies[n++]!;
      socket.once('data', () => socket.write(reply));
    });
    await new Promise<void>((resolve) => server.listen({ path }, resolve));
    try {
      for (let i = 0; i < replies.length; i++) {
        const ctx = await TeecContext.initialize(path);
        const e = await ctx.openSession(ECHO_TA_UUID).then(() => assert.fail('expected a failure'), (err: unknown) => err);
        assert.ok(e instanceof DeviceError && e.code === 'ERR_DEVICE_TEE', String(e));
        assert.equal(e.teecResult, TEEC_RESULT.ERROR_COMMUNICATION, `reply ${i}: ${e.message}`);
        await ctx.finalize();
      }
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the frame decoder: random streams in random cuts give frames or ERR_DEVICE_TEE, never anything else', () => {
    for (let run = 0; run < 300; run++) {
      const valid = run % 3 === 0;
      const stream = valid
        ? Uint8Array.from([...encodeFrame({ id: run, result: 0, origin: 3 }), ...encodeFrame({ op: 'cancel', id: 1, target: run })])
        : new Uint8Array(randomBytes(1 + (run % 64)));
      if (!valid && run % 2 === 0 && stream.length >= 4) new DataView(stream.buffer).setUint32(0, (run * 7919) % (MAX_FRAME + 10));
      const decoder = new FrameDecoder();
      let got = 0;
      try {
        for (let at = 0; at < stream.length;) {
          const cut = 1 + ((run * 31 + at) % 7);
          got += decoder.push(stream.subarray(at, at + cut)).length;
          at += cut;
        }
        if (valid) assert.equal(got, 2);
      } catch (e) {
        assert.ok(e instanceof DeviceError && e.code === 'ERR_DEVICE_TEE' && e.teecResult !== undefined, `run ${run}: ${String(e)}`);
        assert.ok(!valid, `run ${run}: a valid stream failed`);
      }
    }
  });
});
