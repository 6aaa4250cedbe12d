/**
 * The wallet's issuer update (docs/payment-application.md §3): SELECT (6283 accepted), EXTERNAL
 * AUTHENTICATE with the 91 data, the scripts in order; stop at the first failure; every status word
 * reported.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex, toHex } from '../../src/bytes/index.ts';
import { DeviceError, deliverIssuerUpdate } from '../../src/device/index.ts';
import type { AuthorizationResponse } from '../../src/emv/index.ts';

const AID = hex`A0000000031010`;
const ARPC = hex`1122334455667788`;
const BLOCK = hex`841E0000080102030405060708`;
const UNBLOCK = hex`8418000008A1A2A3A4A5A6A7A8`;

/** A card answering status words from a list, recording the commands. */
function scripted(...sws: number[]) {
  const commands: string[] = [];
  return {
    commands,
    transmit(c: Uint8Array): Promise<Uint8Array> {
      commands.push(toHex(c));
      const sw = sws[commands.length - 1] ?? 0x9000;
      return Promise.resolve(Uint8Array.of(sw >> 8, sw & 0xff));
    },
  };
}

const response = (scripts: Uint8Array[], arpc: Uint8Array | null = ARPC): AuthorizationResponse => ({ decision: 'approved', responseCode: '00', ...(arpc === null ? {} : { issuerAuthenticationData: arpc }), scripts });

describe('deliverIssuerUpdate', () => {
  it('SELECT, EXTERNAL AUTHENTICATE with the 91 data, then each script in order', async () => {
    const card = scripted();
    const report = await deliverIssuerUpdate(card, AID, response([BLOCK, UNBLOCK]));
    assert.equal(report.completed, true);
    assert.deepEqual(report.steps, [{ command: 'select', sw: 0x9000 }, { command: 'external-authenticate', sw: 0x9000 }, { command: 'script', index: 0, sw: 0x9000 }, { command: 'script', index: 1, sw: 0x9000 }]);
    assert.deepEqual(card.commands, [`00A4040007${toHex(AID)}00`, `0082000008${toHex(ARPC)}`, toHex(BLOCK), toHex(UNBLOCK)]);
  });

  it('a blocked application (6283) still gets its UNBLOCK', async () => {
    const report = await deliverIssuerUpdate(scripted(0x6283), AID, response([UNBLOCK]));
    assert.equal(report.completed, true);
    assert.equal(report.steps[0]!.sw, 0x6283);
  });

  it('stops at the first failure: SELECT 6A82, EXTERNAL AUTHENTICATE 6300, a script 6988', async () => {
    let report = await deliverIssuerUpdate(scripted(0x6a82), AID, response([UNBLOCK]));
    assert.deepEqual([report.completed, report.steps.length], [false, 1]);
    report = await deliverIssuerUpdate(scripted(0x9000, 0x6300), AID, response([UNBLOCK]));
    assert.deepEqual([report.completed, report.steps.map((s) => s.sw)], [false, [0x9000, 0x6300]]);
    const card = scripted(0x9000, 0x9000, 0x6988);
    report = await deliverIssuerUpdate(card, AID, response([BLOCK, UNBLOCK]));
    assert.deepEqual([report.completed, report.steps.map((s) => s.sw)], [false, [0x9000, 0x9000, 0x6988]]);
    assert.equal(card.commands.length, 3, 'the second script is not sent');
  });

  it('nothing to deliver: no command sent; no 91 data: the scripts go without EXTERNAL AUTHENTICATE', async () => {
    const idle = scripted();
    assert.deepEqual(await deliverIssuerUpdate(idle, AID, response([], null)), { steps: [], completed: false });
    assert.equal(idle.commands.length, 0);
    const card = scripted(0x9000, 0x6985);
    const report = await deliverIssuerUpdate(card, AID, response([UNBLOCK], null));
    assert.deepEqual(report.steps.map((s) => s.command), ['select', 'script']);
  });

  it('a malformed response or AID is ERR_DEVICE_PARAM before any command', async () => {
    const card = scripted();
    for (const [aid, r] of [[hex`A000`, response([])], [AID, response([hex`00A4`])], [AID, response([hex`00B2010C00`])], [AID, { ...response([]), scripts: 'x' }]] as const) {
      await assert.rejects(deliverIssuerUpdate(card, aid, r as AuthorizationResponse), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    }
    assert.equal(card.commands.length, 0);
  });
});
