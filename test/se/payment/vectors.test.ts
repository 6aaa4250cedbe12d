/**
 * The card's cryptography against the published pyemv CVN chains (test/helpers/emv-chains.ts and
 * the captured vectors test/vectors/emv/*.json, also in ../shared/vectors/emv).
 *
 * 1. The card's profile-crypto module with each chain's ICC master keys and the chain's own data:
 *    its ARQC equals the vector's AC, it accepts the vector's ARPC and script MACs (and refuses a
 *    flipped bit), and it reads the vector's enciphered PIN CHANGE data back to the chain's PIN.
 *    This is done on the module, not through APDUs, because the chains' cryptogram input holds a
 *    CVR (and counters) the card computes itself (e.g. CVR 03A0B800: issuer authentication failed,
 *    PIN bits) — no APDU can make the card produce the vector's CVR.
 * 2. Through APDUs: a card personalized with the chain's ICC master keys, at the chain's ATC, driven
 *    with the chain's terminal data and AIP; its ARQC must be the MAC under the vector's captured AC
 *    session key (sk_ac) of the data it sent back — so the card derived the vector's session key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { CVN_PROFILES, assembleAcData, deriveIccMasterKeyOptionA, deriveIccMasterKeyOptionB, encodePinBlock, generateAc, iadElements, type CvnProfile } from '../../../src/emv/index.ts';
import { DEFAULT_APPLET_LIBRARY, VirtualSecureElement, cardCryptogram, cardDecipherScriptData as decipherScriptData, cardNewPinBlock as newPinBlock, checkArpc, checkScriptMac } from '../../../src/se/index.ts';
import { EMV_CHAINS, type EmvChain } from '../../helpers/emv-chains.ts';
import { byName, loadCaptured, optStr, str } from '../../emv/captured.ts';
import { editPaymentData, personalizedPaymentCard, tap } from './helpers.ts';

const arqcs = loadCaptured('emv/arqc.json');
const arpcs = loadCaptured('emv/arpc.json');
const sms = loadCaptured('emv/secure-messaging.json');

function masterKeys(profile: CvnProfile, chain: EmvChain) {
  const derive = profile.masterKeyDerivation === 'option-a' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB;
  return { ac: derive(fromHex(chain.imk.ac), chain.pan, chain.psn), smi: derive(fromHex(chain.imk.smi), chain.pan, chain.psn), smc: derive(fromHex(chain.imk.smc), chain.pan, chain.psn) };
}

const flipped = (b: Uint8Array, i = 0): Uint8Array => b.map((x, j) => (j === i ? x ^ 0x01 : x));

describe('the card against the pyemv CVN chains: profile-crypto module', () => {
  for (const chain of EMV_CHAINS) {
    it(`${chain.profile}: ${chain.test}`, () => {
      const profile: CvnProfile = CVN_PROFILES[chain.profile];
      const mk = masterKeys(profile, chain);
      const [atc, un] = [fromHex(chain.atc), fromHex(chain.un)];
      const arqcV = byName(arqcs, chain.steps.arqc);
      const data = assembleAcData(profile, Object.fromEntries(Object.entries(chain.acElements).map(([k, v]) => [k, fromHex(v)])));
      assert.equal(toHex(data), str(arqcV, 'data'));
      const ac = cardCryptogram(profile, mk.ac, { atc, un }, data);
      assert.equal(toHex(ac), arqcV.expected);
      const txn = { atc, ac, un };

      const arpcV = byName(arpcs, chain.steps.arpc);
      const tail = profile.arpc.method === 1 ? str(arpcV, 'arpc_rc') : str(arpcV, 'csu') + (optStr(arpcV, 'prop_auth_data') ?? '');
      const issuerAuthData = fromHex(arpcV.expected + tail);
      assert.equal(checkArpc(profile, mk.ac, txn, issuerAuthData), true);
      assert.equal(checkArpc(profile, mk.ac, txn, flipped(issuerAuthData)), false);

      const unblockV = byName(sms, chain.steps.unblockMac);
      const unblockHeader = fromHex(str(unblockV, 'command').slice(0, 8));
      assert.equal(checkScriptMac(profile, mk.smi, txn, unblockHeader, new Uint8Array(0), fromHex(unblockV.expected)), true);
      assert.equal(checkScriptMac(profile, mk.smi, txn, unblockHeader, new Uint8Array(0), flipped(fromHex(unblockV.expected), 7)), false);

      const pinCases = [{ enc: chain.steps.pinEncrypt, mac: chain.steps.pinMac, current: null as string | null }];
      if (chain.withCurrentPin !== undefined) pinCases.push({ enc: chain.withCurrentPin.pinEncrypt, mac: chain.withCurrentPin.pinMac, current: chain.withCurrentPin.currentPin });
      for (const c of pinCases) {
        const enciphered = fromHex(byName(sms, c.enc).expected);
        const macV = byName(sms, c.mac);
        const header = fromHex(str(macV, 'command').slice(0, 8));
        assert.equal(checkScriptMac(profile, mk.smi, txn, header, enciphered, fromHex(macV.expected)), true);
        const plain = decipherScriptData(profile, mk.smc, txn, enciphered);
        const reference = encodePinBlock(c.current ?? '1234', { format: 2 });
        const block = newPinBlock(profile, plain, c.current === null ? 2 : 1, mk.ac, reference);
        assert.equal(toHex(block ?? new Uint8Array(0)), toHex(encodePinBlock(chain.pin, { format: 2 })));
      }
    });
  }
});

describe('the card against the pyemv CVN chains: through APDUs, the vector session key', () => {
  for (const chain of EMV_CHAINS.filter((c, i, all) => all.findIndex((d) => d.test === c.test) === i)) {
    it(`${chain.profile}: ${chain.test}`, async () => {
      const profile: CvnProfile = CVN_PROFILES[chain.profile];
      const flow = profile.scheme === 'visa' ? 1 : 2;
      const keys = masterKeys(profile, chain);
      const { store, aid } = await personalizedPaymentCard({ profile: chain.profile, flow, keys, aip: fromHex(chain.acElements['82']!) });
      const atc = parseInt(chain.atc, 16);
      editPaymentData(store, aid, (d) => ({ ...d, atc: atc - 1 }));
      const card = new VirtualSecureElement(store, { library: DEFAULT_APPLET_LIBRARY });
      const values = Object.fromEntries(Object.entries(chain.acElements).filter(([k]) => !['82', '9F36', '9F10', 'CVR', 'COUNTERS'].includes(k)).map(([k, v]) => [k, fromHex(v)]));
      const r = tap(card, aid, flow, { ...values, '9F66': fromHex('36004000') });
      assert.equal(r.sw, 0x9000);
      assert.equal(toHex(r.t['9F36']!), chain.atc);
      const data = assembleAcData(profile, { ...values, '82': fromHex(chain.acElements['82']!), '9F36': r.t['9F36']!, ...iadElements(profile, r.t['9F10']!) });
      const skAc = fromHex(str(byName(arqcs, chain.steps.arqc), 'sk_ac'));
      assert.equal(toHex(r.t['9F26']!), toHex(generateAc(skAc, data, { cipher: 'tdes', padding: profile.acPadding })));
      assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
    });
  }
});
