import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import { buildGetData, buildSelect, GET_DATA_TAGS, GpError, openScp02, openScp03, parseCplc, parseKeyInformationTemplate, plainScp02Keys, plainScp03Keys } from '../../src/gp/index.ts';
import { LEGACY_UICC } from '../../src/se/index.ts';
import { CardPortTransport, ISD_KEYS, TEST_CPLC, testCard } from './helpers.ts';

const ISD = fromHex('A000000151000000');
const HOST_KEYS = { keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek };

function send(card: { process(b: Uint8Array): Uint8Array }, hexApdu: string) {
  return parseResponse(card.process(fromHex(hexApdu)));
}

describe('virtual SE: card OS and ISD basics', () => {
  it('answers SELECT of the ISD with a GP FCI and unknown AIDs with 6A82', () => {
    const card = testCard();
    const r = send(card, toHex(encodeCommand(buildSelect(ISD))));
    assert.equal(r.sw, SW.OK);
    assert.equal(toHex(r.data).slice(0, 2), '6F');
    assert.ok(toHex(r.data).includes('8408A000000151000000'));
    assert.equal(send(card, '00A4040005A000000999').sw, 0x6a82);
  });

  it('answers malformed APDUs, bad classes and closed channels with status words', () => {
    const card = testCard();
    assert.equal(send(card, '00A40400').sw, SW.OK); // case 1 SELECT with no data: ISD (GPC 2.3.1 §7.1.1)
    assert.equal(send(card, '00A4040005A0').sw, SW.WRONG_LENGTH);
    assert.equal(send(card, '20CA9F7F00').sw, SW.CLA_NOT_SUPPORTED);
    assert.equal(send(card, '03CA9F7F00').sw, SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    assert.equal(send(card, '80').sw, SW.WRONG_LENGTH);
    assert.equal(card.stats.internalErrors, 0);
  });

  it('GET DATA works without a secure channel: CPLC, IIN, CIN, card data', () => {
    const card = testCard();
    const cplc = send(card, toHex(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))));
    assert.equal(cplc.sw, SW.OK);
    assert.equal(toHex(cplc.data), `9F7F2A${toHex(TEST_CPLC)}`);
    assert.equal(toHex(parseCplc(cplc.data).icSerialNumber), '01020304');
    assert.equal(toHex(send(card, '80CA004200').data), '420142');
    assert.ok(toHex(send(card, '80CA006600').data).includes('2A864886FC6B04037000'.slice(0, 18)));
  });

  it('content management needs an authenticated secure channel (Table 11-2): 6982', () => {
    const card = testCard();
    assert.equal(send(card, '80F28002024F0000').sw, SW.SECURITY_STATUS_NOT_SATISFIED);
    assert.equal(send(card, '84F28002024F0000').sw, SW.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('the host side of Foundation opens SCP03 against the card at every security level', async () => {
    for (const level of [0x01, 0x03, 0x11, 0x13, 0x33]) {
      const card = testCard();
      const transport = new CardPortTransport(card);
      await transport.transmit(encodeCommand(buildSelect(ISD)));
      const session = await openScp03(transport, plainScp03Keys(HOST_KEYS), { securityLevel: level, sdAid: ISD });
      const r = await session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
      assert.equal(r.sw, SW.OK, `SL ${level.toString(16)}`);
      const info = parseKeyInformationTemplate(r.data);
      assert.deepEqual(info.map((k) => [k.keyId, k.kvn, k.components[0]?.type]), [[1, 0x30, 0x88], [2, 0x30, 0x88], [3, 0x30, 0x88]]);
      assert.equal(card.state.applications[0]!.sd!.keySets[0]!.counter, 1, 'counter persisted');
      session.close();
    }
  });

  it('the host side of Foundation opens SCP02 (i=55) against a legacy UICC at every security level', async () => {
    for (const level of [0x01, 0x03]) {
      const card = testCard({ profile: LEGACY_UICC });
      const transport = new CardPortTransport(card);
      await transport.transmit(encodeCommand(buildSelect(ISD)));
      const session = await openScp02(transport, plainScp02Keys(HOST_KEYS), { securityLevel: level, i: 0x55, sdAid: ISD });
      const r = await session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
      assert.equal(r.sw, SW.OK, `SL ${level.toString(16)}`);
      assert.equal(card.state.applications[0]!.sd!.keySets[0]!.counter, 1, 'SCP02 sequence counter persisted');
      session.close();
    }
  });

  it('a wrong key: the host stops before EXTERNAL AUTHENTICATE; a wrong host cryptogram is counted', async () => {
    const card = testCard();
    const transport = new CardPortTransport(card);
    await transport.transmit(encodeCommand(buildSelect(ISD)));
    const wrong = { ...HOST_KEYS, mac: fromHex('00'.repeat(16)) };
    await assert.rejects(openScp03(transport, plainScp03Keys(wrong), { securityLevel: 0x01, sdAid: ISD }), (e: unknown) => e instanceof GpError && e.code === 'ERR_GP_CARD_CRYPTOGRAM');
    assert.ok(!transport.log.some((x) => x.command[1] === 0x82), 'no EXTERNAL AUTHENTICATE sent');
    // a forged EXTERNAL AUTHENTICATE after a genuine INITIALIZE UPDATE
    assert.equal(send(card, '8050300008' + '11'.repeat(8) + '00').sw, SW.OK);
    assert.equal(send(card, '8482010010' + '00'.repeat(16)).sw, SW.SECURITY_STATUS_NOT_SATISFIED);
    assert.equal(card.state.applications[0]!.sd!.authFailures, 1);
  });

  it('blocks the SD with 6983 after the profile limit of failed authentications', () => {
    const card = testCard();
    for (let i = 0; i < card.profile.authFailureLimit; i++) {
      assert.equal(send(card, '8050300008' + '22'.repeat(8) + '00').sw, SW.OK);
      assert.notEqual(send(card, '8482010010' + '00'.repeat(16)).sw, SW.OK);
    }
    assert.equal(send(card, '8050300008' + '22'.repeat(8) + '00').sw, SW.AUTHENTICATION_METHOD_BLOCKED);
  });

  it('an unknown key version gets 6A88', () => {
    assert.equal(send(testCard(), toHex(encodeCommand(commandApdu({ cla: 0x80, ins: 0x50, p1: 0x31, p2: 0, data: new Uint8Array(8), ne: 256 })))).sw, SW.REFERENCED_DATA_NOT_FOUND);
  });
});
