/**
 * The shared SCP80 vectors on the card side: every pySim command packet is received by the virtual
 * UICC, executed, and answered — with a runner that answers the SW the real card gave (6132), the
 * PoR the card builds is the vector's PoR byte for byte; every negative vector is refused with the
 * PoR status it names, nothing is executed and no counter moves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { responseApdu } from '../../../src/apdu/index.ts';
import { buildCommandPacket, parseSmsDeliver, parseSpi, spi, unwrapCommandPacket, unwrapResponsePacket } from '../../../src/ota/index.ts';
import type { OtaReceipt, OtaScriptRunner } from '../../../src/se/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { keySet, otaCard, otaCardState } from './helpers.ts';

interface PysimVector {
  name: string;
  inputs: { spi: string; kic: string; kid: string; kic_key: string; kid_key: string; tar?: string; cntr?: string; secured_data_plain?: string };
  expected: { command_packet?: string; command_packet_spec?: string; sms_ud_with_udh?: string; sms_deliver_tpdu_correct_udl?: string; por_ud?: string };
}

const pysim = loadVectors<{ vectors: PysimVector[] }>('ota/pysim.json');

/** A runner that records what it was asked and answers like the SJA5 card of the vectors (SW 6132). */
function recordingRunner(sw = 0x6132): OtaScriptRunner & { calls: { sdAid: Uint8Array; apdus: Uint8Array[] }[] } {
  const calls: { sdAid: Uint8Array; apdus: Uint8Array[] }[] = [];
  return {
    calls,
    run(sdAid, apdus) {
      calls.push({ sdAid, apdus: [...apdus] });
      return apdus.map(() => responseApdu(new Uint8Array(0), sw));
    },
  };
}

const algorithmOf = (kic: string): 'tdes-2key' | 'aes' => (kic.endsWith('2') ? 'aes' : 'tdes-2key');

function processed(r: OtaReceipt): Extract<OtaReceipt, { kind: 'processed' }> {
  if (r.kind !== 'processed') assert.fail(`expected a processed packet, got ${r.kind === 'discarded' ? r.error.message : r.kind}`);
  return r;
}

describe('card side: pySim command packets', () => {
  for (const v of pysim.vectors.filter((x) => x.inputs.secured_data_plain !== undefined)) {
    const i = v.inputs;
    const packet = fromHex(v.expected.command_packet ?? v.expected.command_packet_spec!);
    const card = () => {
      const runner = recordingRunner();
      const c = otaCard(otaCardState([i.tar!], [keySet(parseInt(i.kic, 16) >> 4, algorithmOf(i.kic), i.kic_key, i.kid_key)]), { runner });
      return { ...c, runner };
    };
    it(`${v.name}: executed once on the ISD with the vector's APDU; PoR ${v.expected.por_ud === undefined ? 'verifies' : 'is the vector byte for byte'}`, () => {
      const c = card();
      const r = processed(c.receiver.receivePacket(packet));
      assert.equal(r.status, 0);
      assert.equal(r.executed, 1);
      assert.equal(c.runner.calls.length, 1);
      assert.deepEqual(c.runner.calls[0]!.sdAid, c.model.committed.isdAid);
      assert.deepEqual(c.runner.calls[0]!.apdus, [fromHex(i.secured_data_plain!)]);
      assert.ok(r.por !== undefined);
      if (v.expected.por_ud !== undefined) {
        assert.equal(toHex(r.por).toLowerCase(), v.expected.por_ud);
      } else {
        const s = parseSpi(fromHex(i.spi));
        const back = unwrapResponsePacket({ kic: fromHex(i.kic_key), kid: fromHex(i.kid_key) }, r.por, { spi: s, kic: parseInt(i.kic, 16), kid: parseInt(i.kid, 16), tar: fromHex(i.tar!), counter: fromHex(i.cntr!) });
        assert.equal(back.status, 0);
        assert.deepEqual(back.data, fromHex('016132'));
      }
    });
    if (v.expected.sms_deliver_tpdu_correct_udl !== undefined) {
      it(`${v.name}: the same through the SMS-DELIVER TPDU's user data`, () => {
        const c = card();
        const ud = parseSmsDeliver(fromHex(v.expected.sms_deliver_tpdu_correct_udl!)).userData;
        const r = processed(c.receiver.receiveUserData(ud));
        assert.equal(toHex(r.por!).toLowerCase(), v.expected.por_ud);
      });
    }
  }
});

interface NegVector {
  name: string;
  inputs: Record<string, string>;
  expected: Record<string, string>;
}
const negative = loadVectors<{ vectors: NegVector[] }>('ota/negative.json');
const neg = (name: string): NegVector => negative.vectors.find((v) => v.name === name)!;

describe('card side: negative vectors', () => {
  const flipped = neg('neg-flipped-ciphertext-bit');
  const k = flipped.inputs;
  const keys = { kic: fromHex(k.kic_key!), kid: fromHex(k.kid_key!) };
  const valid = fromHex(k.valid_packet!);
  const validCntr = unwrapCommandPacket(keys, valid, { storedCounter: new Uint8Array(5) }).counter;
  const setup = (counter = 0, tars: string[] = ['000000']) => {
    const runner = recordingRunner(0x9000);
    const c = otaCard(otaCardState(tars, [keySet(1, 'aes', k.kic_key!, k.kid_key!, counter)]), { runner });
    return { ...c, runner };
  };
  /** Refused: the status, nothing run, the counter where it was. */
  const refused = (c: ReturnType<typeof setup>, r: OtaReceipt, status: number | 'discarded', counterBefore: number) => {
    if (status === 'discarded') assert.equal(r.kind, 'discarded');
    else {
      const p = processed(r);
      assert.equal(p.status, status);
      assert.equal(p.executed, 0);
    }
    assert.equal(c.runner.calls.length, 0);
    assert.equal(c.counter(1), counterBefore);
  };

  it('the valid twin is accepted, executed, and its counter stored', () => {
    const c = setup();
    const r = processed(c.receiver.receivePacket(valid));
    assert.equal(r.status, 0);
    assert.equal(c.runner.calls.length, 1);
    assert.equal(c.counter(1), validCntr.reduce((a, b) => a * 256 + b, 0));
    // SPI 1639: PoR required, CC, ciphered, via SMS-SUBMIT
    const back = unwrapResponsePacket(keys, r.por!, { spi: parseSpi(fromHex('1639')), kic: 0x12, kid: 0x12, tar: fromHex('000000'), counter: validCntr });
    assert.equal(back.secured, true);
    assert.equal(r.porVia, 'submit');
  });
  it(`neg-flipped-ciphertext-bit: PoR 01, unsecured (${flipped.expected.por_status_if_por_sent})`, () => {
    const c = setup();
    const r = c.receiver.receivePacket(fromHex(k.packet!));
    refused(c, r, 0x01, 0);
    const p = processed(r);
    assert.equal(p.por![5], 0x0a); // RHL 10: no CC
  });
  it('neg-tar-altered: TAR 000001 unknown → PoR 09; where the card knows 000001 → CC fails, PoR 01', () => {
    const v = neg('neg-tar-altered');
    const c1 = setup();
    refused(c1, c1.receiver.receivePacket(fromHex(v.inputs.packet!)), 0x09, 0);
    const c2 = setup(0, ['000000', '000001']);
    refused(c2, c2.receiver.receivePacket(fromHex(v.inputs.packet!)), 0x01, 0);
  });
  it('neg-truncated-packet: discarded, no PoR', () => {
    const c = setup();
    refused(c, c.receiver.receivePacket(fromHex(neg('neg-truncated-packet').inputs.packet!)), 'discarded', 0);
  });
  it('neg-wrong-chl: PoR 06 (unidentified security error), unsecured', () => {
    const c = setup();
    refused(c, c.receiver.receivePacket(fromHex(neg('neg-wrong-chl').inputs.packet!)), 0x06, 0);
  });
  it('neg-replayed-counter: card counter 1, packet replayed → PoR 02 (secured: the CC verified), not run', () => {
    const v = neg('neg-replayed-counter');
    const before = parseInt(v.inputs.card_counter_before!, 16);
    const c = setup(Math.max(before, validCntr.reduce((a, b) => a * 256 + b, 0)));
    const r = c.receiver.receivePacket(fromHex(v.inputs.packet!));
    refused(c, r, 0x02, c.counter(1));
    const back = unwrapResponsePacket(keys, processed(r).por!, { spi: parseSpi(fromHex('1639')), kic: 0x12, kid: 0x12, tar: fromHex('000000'), counter: validCntr });
    assert.equal(back.status, 0x02);
    assert.equal(back.secured, true);
  });
  it('neg-counter-gap-mode-11: card counter 1, CNTR 3 with "exactly one higher" → PoR 03', () => {
    const v = neg('neg-counter-gap-mode-11');
    const c = setup(parseInt(v.inputs.card_counter_before!, 16));
    const s = spi({ rcCcDs: 'cc', ciphered: true, counter: 'one-higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
    const packet = buildCommandPacket(keys, { spi: s, kic: 0x12, kid: 0x12, tar: fromHex('000000'), counter: fromHex(v.inputs.packet_cntr!), data: fromHex('80CA006600') });
    refused(c, c.receiver.receivePacket(packet), 0x03, 1);
  });
});
