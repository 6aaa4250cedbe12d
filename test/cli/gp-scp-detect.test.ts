/**
 * Protocol detection of `opentsm gp` for a card that announces no SCP (no '73' in its FCI, GET DATA
 * '66' refused): INITIALIZE UPDATE itself tells, and its answer is replayed to the handshake, so the
 * card sees exactly one INITIALIZE UPDATE (one sequence-counter step).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GP_ISD_AID, buildGetData, GET_DATA_TAGS } from '../../src/gp/index.ts';
import { encodeCommand, transmit, type ApduTransport } from '../../src/apdu/index.ts';
import { equalCt } from '../../src/bytes/index.ts';
import { LEGACY_UICC, STRICT_ESE, type CardProfile } from '../../src/se/index.ts';
import type { Output } from '../../src/cli/gp/output.ts';
import { openGpSession } from '../../src/cli/gp/secure-session.ts';
import { PrimedTransport, detectScp } from '../../src/cli/gp/scp-detect.ts';
import { selectSecurityDomain } from '../../src/cli/gp/select-sd.ts';
import { CardPortTransport, ISD_KEYS, testCard } from '../se/helpers.ts';

const GET_CARD_DATA = encodeCommand(buildGetData(GET_DATA_TAGS.CARD_DATA));

/** The card, except that it keeps its Card Data to itself. */
class SilentCard implements ApduTransport {
  constructor(readonly inner: CardPortTransport) {}
  transmit(command: Uint8Array): Promise<Uint8Array> {
    if (command.length === GET_CARD_DATA.length && equalCt(command, GET_CARD_DATA)) return Promise.resolve(Uint8Array.of(0x6a, 0x88));
    return this.inner.transmit(command);
  }
}

const quiet: Output = { out: () => undefined, err: () => undefined, status: () => undefined, interactive: false };
const keys = () => ({ enc: ISD_KEYS.enc.slice(), mac: ISD_KEYS.mac.slice(), dek: ISD_KEYS.dek.slice() });

describe('SCP detection by INITIALIZE UPDATE', () => {
  for (const [profile, scp] of [[STRICT_ESE, 3], [LEGACY_UICC, 2]] as [CardProfile, 2 | 3][]) {
    it(`finds SCP0${scp} and sends INITIALIZE UPDATE once (${profile.id})`, async () => {
      const card = testCard({ profile });
      const wire = new CardPortTransport(card);
      const transport = new SilentCard(wire);
      await selectSecurityDomain(transport, GP_ISD_AID);
      const sd = { aid: GP_ISD_AID, fci: undefined }; // as if the FCI held no management data
      const { session, description } = await openGpSession(transport, sd, { keys: keys(), keyVersion: 0, kdf: undefined, scp: undefined, securityLevel: undefined }, quiet);
      assert.equal(session.scp, scp);
      assert.match(description, new RegExp(`^SCP0${scp}.* \\(from INITIALIZE UPDATE\\), KVN 30, C-MAC \\(01\\)$`));
      const r = await session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
      assert.equal(r.sw, 0x9000);
      assert.equal(wire.log.filter((e) => e.command[1] === 0x50).length, 1, 'one INITIALIZE UPDATE on the wire');
      session.close();
    });
  }

  it('detectScp takes --scp as given and the card data when there is some', async () => {
    const transport = new CardPortTransport(testCard());
    const sd = await selectSecurityDomain(transport, undefined);
    assert.deepEqual(await detectScp(transport, sd, 3, 0), { scp: 3, i: 0x70, source: 'option' });
    assert.deepEqual(await detectScp(transport, sd, undefined, 0), { scp: 3, i: 0x70, source: 'card data' });
  });

  it('PrimedTransport replays one exact command once, and passes everything else', async () => {
    const seen: Uint8Array[] = [];
    const inner: ApduTransport = { transmit: (c) => (seen.push(c), Promise.resolve(Uint8Array.of(0x90, 0x00))) };
    const primed = new PrimedTransport(inner, Uint8Array.of(0x80, 0x50, 0, 0), Uint8Array.of(0x01, 0x90, 0x00));
    assert.deepEqual(await primed.transmit(Uint8Array.of(0x80, 0x50, 0, 0)), Uint8Array.of(0x01, 0x90, 0x00));
    assert.deepEqual(await primed.transmit(Uint8Array.of(0x80, 0x50, 0, 0)), Uint8Array.of(0x90, 0x00));
    assert.equal(seen.length, 1);
    const r = await transmit(primed, buildGetData(GET_DATA_TAGS.CPLC));
    assert.equal(r.sw, 0x9000);
  });
});
