/**
 * The payment applet end to end on a virtual SE: the TSM installs an instance and personalizes it
 * through the ISD's SCP03 channel (INSTALL [for personalization] + STORE DATA, DGIs of
 * docs/payment-application.md §4), adds it to the PPSE, then a terminal taps (both flows, profiles
 * visa-18 and mastercard-17) and the issuer answers. Every cryptogram the card produces is checked
 * here with the emv/ pure functions and the issuer's keys — independently of the card's code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import {
  CVN_PROFILES,
  assembleAcData,
  atcDiversifier,
  deriveCommonSessionKey,
  generateAc as emvGenerateAc,
  generateArpcMethod1,
  generateArpcMethod2,
  iadElements,
  mastercardDiversifier,
  type CvnProfileId,
} from '../../../src/emv/index.ts';
import { encodeDgi, encodeTlv, parseTlv, tlv } from '../../../src/tlv/index.ts';
import { PPSE_AID, PPSE_ENTRIES_DGI, VISA_STYLE_AID, MASTERCARD_STYLE_AID } from '../../../src/se/index.ts';
import { buildInstall, buildStoreData } from '../../../src/gp/index.ts';
import { generateAc, getData, gpo, iccKeys, iccRsaKey, installPayment, isdSession, paymentCard, paymentDgis, select, send, storeDgis, template77, terminalValues } from './helpers.ts';

const CASES: { profile: CvnProfileId; flow: 1 | 2; aid: Uint8Array }[] = [
  { profile: 'visa-18', flow: 1, aid: VISA_STYLE_AID },
  { profile: 'mastercard-17', flow: 2, aid: MASTERCARD_STYLE_AID },
];

/** The issuer's check of a cryptogram: data from the terminal's values, the card's AIP/ATC/IAD; key from the ICC MK. */
function issuerAc(profileId: CvnProfileId, mkAc: Uint8Array, values: Record<string, Uint8Array>, aip: Uint8Array, atc: Uint8Array, iad: Uint8Array): { ac: Uint8Array; sk: Uint8Array } {
  const profile = CVN_PROFILES[profileId];
  const data = assembleAcData(profile, { ...values, '82': aip, '9F36': atc, ...iadElements(profile, iad) });
  const sk = profile.acSessionKey === 'common-atc' ? deriveCommonSessionKey(mkAc, atcDiversifier(atc, 8)) : deriveCommonSessionKey(mkAc, mastercardDiversifier(atc, values['9F37']!));
  return { ac: emvGenerateAc(sk, data, { cipher: 'tdes', padding: profile.acPadding }), sk };
}

/** EMV Book 2 §6.5.2: recovers the SDAD with the public key (e = 3) and checks format and hash. */
function checkSdad(n: Uint8Array, sdad: Uint8Array, terminal: Uint8Array, cardAuthData: Uint8Array): void {
  const big = (b: Uint8Array): bigint => BigInt(`0x${toHex(b)}`);
  const m = big(n);
  const x = (big(sdad) ** 3n) % m;
  const recovered = fromHex(x.toString(16).padStart(n.length * 2, '0'));
  assert.equal(recovered[0], 0x6a);
  assert.equal(recovered.at(-1), 0xbc);
  assert.equal(toHex(recovered.subarray(1, 3)), '0501');
  const ldd = recovered[3]!;
  assert.equal(ldd, 9);
  const h = recovered.subarray(n.length - 21, n.length - 1);
  const expected = createHash('sha1').update(recovered.subarray(1, n.length - 21)).update(terminal).update(cardAuthData).digest();
  assert.equal(toHex(h), toHex(new Uint8Array(expected)));
}

describe('payment applet end to end', () => {
  for (const c of CASES) {
    it(`${c.profile}, flow ${c.flow === 1 ? 'gpo' : 'generate-ac'}: install, personalize, PPSE, tap, issuer update`, async () => {
      const { card } = paymentCard();
      const session = await isdSession(card);
      assert.equal(await installPayment(session, c.aid), 0x9000);
      const keys = iccKeys(c.profile);
      const rsa = iccRsaKey();
      assert.equal(await storeDgis(session, c.aid, paymentDgis({ profile: c.profile, flow: c.flow, keys, rsa })), 0x9000);
      // PPSE entry for the new card
      const entry = encodeTlv(tlv(0x61, [tlv(0x4f, c.aid), tlv(0x50, new TextEncoder().encode('OPENTSM')), tlv(0x87, fromHex('01'))]));
      assert.equal((await session.transmit(buildInstall({ kind: 'personalization', applicationAid: PPSE_AID }))).sw, 0x9000);
      assert.equal((await session.transmit(buildStoreData(encodeDgi(PPSE_ENTRIES_DGI, entry), { format: 'dgi' }, 200)[0]!)).sw, 0x9000);
      session.close();
      card.reset();

      // the tap
      const ppse = select(card, PPSE_AID);
      assert.equal(ppse.sw, 0x9000);
      assert.ok(toHex(ppse.data).includes(toHex(entry)), 'PPSE lists the entry');
      const fci = select(card, c.aid);
      assert.equal(fci.sw, 0x9000);
      assert.equal(toHex(getData(card, 0xdf70).data), 'DF700101');
      assert.equal(parseTlv(fci.data).tag, 0x6f);
      const values = terminalValues(fromHex('A1B2C3D4'));
      const g = gpo(card, values);
      assert.equal(g.sw, 0x9000);
      const t = template77(g.data);
      assert.equal(toHex(t['82']!), '2400');
      assert.equal(toHex(t['94']!), '0801010110010200');
      checkSdad(rsa.n, t['9F4B']!, concat(values['9F37']!, values['9F02']!, values['5F2A']!), t['9F69']!);
      for (const [p1, p2] of [[1, 0x0c], [1, 0x14], [2, 0x14]] as const) assert.equal(send(card, 0x00, 0xb2, p1, p2, undefined, 256).sw, 0x9000);
      let ac = t;
      if (c.flow === 2) {
        assert.equal(t['9F26'], undefined);
        const r = generateAc(card, 0x80, values);
        assert.equal(r.sw, 0x9000);
        ac = template77(r.data);
        assert.equal(generateAc(card, 0x80, values).sw, 0x6985, 'one GENERATE AC per GPO');
      }
      assert.equal(toHex(ac['9F27']!), '80');
      assert.equal(toHex(ac['9F36']!), '0001');
      const issuer = issuerAc(c.profile, keys.ac, values, t['82']!, ac['9F36']!, ac['9F10']!);
      assert.equal(toHex(ac['9F26']!), toHex(issuer.ac), 'the issuer verifies the ARQC');

      // issuer update: the ARPC of that ARQC opens the script window
      const profile = CVN_PROFILES[c.profile];
      const arpcKey = profile.arpc.key === 'icc-master-key' ? keys.ac : issuer.sk;
      const iad91 = profile.arpc.method === 1
        ? concat(generateArpcMethod1(arpcKey, issuer.ac, fromHex('3030')), fromHex('3030'))
        : concat(generateArpcMethod2(arpcKey, issuer.ac, fromHex('00800000'), new Uint8Array(0)), fromHex('00800000'));
      select(card, c.aid);
      assert.equal(send(card, 0x00, 0x82, 0, 0, iad91).sw, 0x9000);
      assert.equal(toHex(getData(card, 0x9f13).data), '9F13020001');
      assert.equal(toHex(getData(card, 0x9f36).data), '9F36020001');
      assert.equal(card.stats.internalErrors, 0, String(card.stats.lastInternalError));
    });
  }
});
