/**
 * The published GP transcripts replayed against the virtual SE's card manager: the card must give
 * the INITIALIZE UPDATE response byte for byte (pseudo-random challenge, cryptogram, counter), accept
 * the published EXTERNAL AUTHENTICATE, and accept every published wrapped command (its C-MAC and
 * C-DECRYPTION verify: the card answers a status word other than 6982).
 *
 * pySim's SCP03 transcripts were captured against an SGP.22 ISD-R; the AID the card challenge was
 * computed with (A0000005591010FFFFFFFF8900000100) is inferred (see test/gp/scp/scp03-vectors.test.ts),
 * so the test card's ISD uses it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { parseResponse, SW } from '../../src/apdu/index.ts';
import { MemoryCardStore, STRICT_ESE, VirtualSecureElement, newCardState, type CardProfile } from '../../src/se/index.ts';
import { loadVectors } from '../helpers/vectors.ts';
import type { Scp03Transcript } from '../gp/scp/helpers.ts';
import { TEST_CPLC } from './helpers.ts';

const ISD_R = fromHex('A0000005591010FFFFFFFF8900000100');
const file = loadVectors<{ vectors: Scp03Transcript[] }>('gp/pysim-scp03.json');

function cardFor(v: Scp03Transcript): VirtualSecureElement {
  const profile: CardProfile = { ...STRICT_ESE, id: 'pysim-isd-r', isdAid: ISD_R, scp: { protocol: 3, i: parseInt(v.parsed_response.i, 16) } };
  const state = newCardState({
    profile,
    isdKeys: { kvn: parseInt(v.kvn, 16), enc: fromHex(v.static_keys.ENC), mac: fromHex(v.static_keys.MAC), dek: fromHex(v.static_keys.DEK) },
    cplc: TEST_CPLC,
    kdd: fromHex(v.parsed_response.kdd),
  });
  const counter = parseInt(v.parsed_response.sequence_counter, 16) - 1; // the card increments before answering
  const isd = state.applications[0]!;
  const sd = { ...isd.sd!, keySets: isd.sd!.keySets.map((k) => ({ ...k, counter })) };
  const card = new VirtualSecureElement(new MemoryCardStore({ ...state, applications: [{ ...isd, sd }] }), { profiles: new Map([[profile.id, profile]]) });
  return card;
}

describe('pySim SCP03 transcripts against the virtual SE card manager', () => {
  for (const v of file.vectors) {
    it(v.id, () => {
      const card = cardFor(v);
      const iu = parseResponse(card.process(fromHex(v.initialize_update_command)));
      assert.equal(iu.sw, SW.OK);
      assert.equal(toHex(iu.data), v.initialize_update_response_data);
      const ea = parseResponse(card.process(fromHex(v.external_authenticate_command)));
      assert.equal(ea.sw, SW.OK);
      for (const step of v.then_in_order) {
        const r = parseResponse(card.process(fromHex(step.wrapped)));
        assert.notEqual(r.sw, SW.SECURITY_STATUS_NOT_SATISFIED, `${step.plain}: the card refused the published C-MAC`);
      }
      assert.equal(card.stats.internalErrors, 0);
    });
  }
});
