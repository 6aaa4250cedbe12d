/**
 * GP TEE Client API semantics against a TEE served in this process (fixture.ts): open, invoke,
 * close; an unknown TA; bad parameters on either side; short buffers; cancellation before and
 * during an invocation; the PIN TA's timeout; every call after close and finalize.
 */
import { once } from 'node:events';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { kcv } from '../../../src/crypto/index.ts';
import { decipherPinBlockIso4 } from '../../../src/emv/index.ts';
import {
  DeviceError, TeePinPad, PIN_TA_COMMAND, PIN_TA_UUID, TEEC_PARAM, TEEC_RESULT, TEE_ERROR_TIMEOUT, TeecContext, TeecOperation, teecMemref, teecNone, teecValue,
  type TeecParameter,
} from '../../../src/device/index.ts';
import { ECHO_TA_UUID, TEST_PEK, inProcessTee, pekBlock, type InProcessTee } from './fixture.ts';

const PAN = '4761730000000010';

/** The platform hears that a prompt closed a moment after the wallet hears the result (two channels): wait for it. */
async function screenCleared(tee: InProcessTee): Promise<void> {
  if (tee.touchscreen.showing !== undefined) await once(tee.touchscreen, 'closed');
}

async function withTee(body: (tee: InProcessTee, ctx: TeecContext) => Promise<void>): Promise<void> {
  const tee = await inProcessTee();
  const ctx = await TeecContext.initialize(tee.endpoint);
  try {
    await body(tee, ctx);
  } finally {
    await ctx.finalize();
    await tee.close();
  }
}

/** Asserts ERR_DEVICE_TEE with this TEEC_Result. */
async function rejectsTee(promise: Promise<unknown>, result: number): Promise<DeviceError> {
  const e = await promise.then(() => assert.fail('expected a TEE error'), (err: unknown) => err);
  assert.ok(e instanceof DeviceError, String(e));
  assert.equal(e.code, 'ERR_DEVICE_TEE');
  assert.equal(e.teecResult?.toString(16), result.toString(16), e.message);
  return e;
}

const echoOp = (): { op: TeecOperation; v: ReturnType<typeof teecValue>; out: ReturnType<typeof teecMemref> } => {
  const v = teecValue(TEEC_PARAM.VALUE_INOUT, 41, 40);
  const out = teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(8));
  return { op: new TeecOperation([v, teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, fromHex('010203')), out]), v, out };
};

describe('TEE Client API', () => {
  it('opens a session, invokes a command with values and memrefs, closes', async () => {
    await withTee(async (_, ctx) => {
      const session = await ctx.openSession(ECHO_TA_UUID);
      const { op, v, out } = echoOp();
      await session.invokeCommand(1, op);
      assert.deepEqual([v.a, v.b], [42, 42]);
      assert.equal(out.size, 3);
      assert.equal(toHex(out.buffer.subarray(0, out.size)), '030201');
      await session.close();
      await rejectsTee(session.invokeCommand(1, echoOp().op), TEEC_RESULT.ERROR_BAD_STATE);
      await session.close(); // twice: a no-op
    });
  });

  it('an unknown TA UUID is TEEC_ERROR_ITEM_NOT_FOUND; a malformed one BAD_PARAMETERS', async () => {
    await withTee(async (_, ctx) => {
      const e = await rejectsTee(ctx.openSession('00000000-0000-4000-8000-00000000dead'), TEEC_RESULT.ERROR_ITEM_NOT_FOUND);
      assert.match(e.message, /origin TEE/);
      await rejectsTee(ctx.openSession('not-a-uuid'), TEEC_RESULT.ERROR_BAD_PARAMETERS);
      await rejectsTee(ctx.openSession(PIN_TA_UUID, 2), TEEC_RESULT.ERROR_ACCESS_DENIED); // GROUP login: the PIN TA refuses it
    });
  });

  it('bad parameters: more than four, a wrong kind, a wrong type for the command, an unknown command', async () => {
    await withTee(async (_, ctx) => {
      const session = await ctx.openSession(ECHO_TA_UUID);
      const five: TeecParameter[] = [teecNone(), teecNone(), teecNone(), teecNone(), teecNone()];
      assert.match((await rejectsTee(session.invokeCommand(1, new TeecOperation(five)), TEEC_RESULT.ERROR_BAD_PARAMETERS)).message, /origin API/);
      await rejectsTee(session.invokeCommand(1, new TeecOperation([{ kind: 'value', type: 5, a: 1, b: 1 } as unknown as TeecParameter])), TEEC_RESULT.ERROR_BAD_PARAMETERS);
      await rejectsTee(session.invokeCommand(1, new TeecOperation([teecValue(TEEC_PARAM.VALUE_INPUT, -1, 0)])), TEEC_RESULT.ERROR_BAD_PARAMETERS);
      const e = await rejectsTee(session.invokeCommand(1, new TeecOperation([teecNone()])), TEEC_RESULT.ERROR_BAD_PARAMETERS);
      assert.match(e.message, /origin TRUSTED_APP/);
      await rejectsTee(session.invokeCommand(99), TEEC_RESULT.ERROR_NOT_SUPPORTED);
      const pin = await ctx.openSession(PIN_TA_UUID);
      await rejectsTee(pin.invokeCommand(PIN_TA_COMMAND.PROVISION_PEK, new TeecOperation([teecValue(TEEC_PARAM.VALUE_INPUT, 1, 2)])), TEEC_RESULT.ERROR_BAD_PARAMETERS);
      await rejectsTee(pin.invokeCommand(PIN_TA_COMMAND.ENTER_PIN, new TeecOperation([
        teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, new TextEncoder().encode('12AB')), teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, new TextEncoder().encode('PIN')),
        teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(16)), teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(64)),
      ])), TEEC_RESULT.ERROR_BAD_PARAMETERS); // not a PAN
    });
  });

  it('an output memref too short is TEEC_ERROR_SHORT_BUFFER with the size needed', async () => {
    await withTee(async (_, ctx) => {
      const session = await ctx.openSession(ECHO_TA_UUID);
      const out = teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(2));
      await rejectsTee(session.invokeCommand(1, new TeecOperation([teecValue(TEEC_PARAM.VALUE_INOUT), teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, fromHex('01020304')), out])), TEEC_RESULT.ERROR_SHORT_BUFFER);
      assert.equal(out.size, 4);
    });
  });

  it('TEEC_RequestCancellation: of a running invocation, and of one not yet sent', async () => {
    await withTee(async (_, ctx) => {
      const session = await ctx.openSession(ECHO_TA_UUID);
      const op = new TeecOperation();
      const running = session.invokeCommand(2, op);
      await new Promise((r) => setTimeout(r, 50));
      ctx.requestCancellation(op);
      await rejectsTee(running, TEEC_RESULT.ERROR_CANCEL);
      const early = new TeecOperation();
      ctx.requestCancellation(early);
      assert.match((await rejectsTee(session.invokeCommand(2, early), TEEC_RESULT.ERROR_CANCEL)).message, /before it started/);
    });
  });

  it('PIN entry: the block opens to the typed PIN; cancelled by the wallet or the user; timed out; no PEK yet', async () => {
    const tee = await inProcessTee({ pinTimeoutMs: 300 });
    const pad = await TeePinPad.open(tee.endpoint);
    try {
      await rejectsTee(pad.encryptedPinBlock(PAN), TEEC_RESULT.ERROR_BAD_STATE);
      assert.deepEqual(await pad.status(), { provisioned: false, teeId: 'tee-test-1' });
      assert.equal(await pad.provisionPek('pek-1', pekBlock(tee.kbpk)), toHex(kcv(TEST_PEK, 'aes-cmac')));
      assert.deepEqual(await pad.status(), { provisioned: true, teeId: 'tee-test-1' });

      const entry = pad.encryptedPinBlock(PAN, 'New PIN');
      assert.equal(await tee.touchscreen.nextPrompt(), 'New PIN');
      tee.touchscreen.enter('739152846031');
      const got = await entry;
      assert.equal(got.pinKey, 'pek-1');
      assert.equal(got.format, 4);
      assert.equal(decipherPinBlockIso4(TEST_PEK, got.block, PAN), '739152846031');

      const byWallet = pad.encryptedPinBlock(PAN);
      await tee.touchscreen.nextPrompt();
      pad.cancel();
      await rejectsTee(byWallet, TEEC_RESULT.ERROR_CANCEL);
      await screenCleared(tee);
      const byUser = pad.encryptedPinBlock(PAN);
      await tee.touchscreen.nextPrompt();
      tee.touchscreen.cancel();
      await rejectsTee(byUser, TEEC_RESULT.ERROR_CANCEL);
      await screenCleared(tee);
      await rejectsTee(pad.encryptedPinBlock(PAN), TEE_ERROR_TIMEOUT);
      await screenCleared(tee);
      const notDigits = pad.encryptedPinBlock(PAN);
      await tee.touchscreen.nextPrompt();
      tee.touchscreen.enter('12ab');
      await rejectsTee(notDigits, TEEC_RESULT.ERROR_BAD_FORMAT);
      await screenCleared(tee);
      assert.equal(tee.touchscreen.showing, undefined);
    } finally {
      await pad.close();
      await tee.close();
    }
  });

  it('PROVISION_PEK refuses a block under another KBPK and a key that is not an AES PEK', async () => {
    const tee = await inProcessTee();
    const pad = await TeePinPad.open(tee.endpoint);
    try {
      await rejectsTee(pad.provisionPek('pek-1', pekBlock(TEST_PEK)), TEEC_RESULT.ERROR_SECURITY);
      await rejectsTee(pad.provisionPek('pek-1', pekBlock(tee.kbpk, TEST_PEK, { usage: 'D0' })), TEEC_RESULT.ERROR_SECURITY);
      await rejectsTee(pad.provisionPek('pek-1', pekBlock(tee.kbpk, TEST_PEK, { modeOfUse: 'D' })), TEEC_RESULT.ERROR_SECURITY);
      await rejectsTee(pad.provisionPek('pek-1', 'D0112P0AE00E0000'), TEEC_RESULT.ERROR_SECURITY);
      await rejectsTee(pad.provisionPek('', pekBlock(tee.kbpk)), TEEC_RESULT.ERROR_BAD_PARAMETERS);
      assert.equal((await pad.status()).provisioned, false);
    } finally {
      await pad.close();
      await tee.close();
    }
  });

  it('after TEEC_FinalizeContext every call is TEEC_ERROR_BAD_STATE; a missing TEE is COMMUNICATION', async () => {
    const tee = await inProcessTee();
    try {
      const ctx = await TeecContext.initialize(tee.endpoint);
      const session = await ctx.openSession(ECHO_TA_UUID);
      await ctx.finalize();
      await ctx.finalize();
      await rejectsTee(ctx.openSession(ECHO_TA_UUID), TEEC_RESULT.ERROR_BAD_STATE);
      await rejectsTee(session.invokeCommand(1, echoOp().op), TEEC_RESULT.ERROR_BAD_STATE);
      await session.close();
    } finally {
      await tee.close();
    }
    await rejectsTee(TeecContext.initialize('/nonexistent/opentsm-tee.sock'), TEEC_RESULT.ERROR_COMMUNICATION);
    await rejectsTee(TeecContext.initialize(''), TEEC_RESULT.ERROR_BAD_PARAMETERS);
  });
});
