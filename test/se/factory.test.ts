/**
 * The card factory: unique identifiers and keys per card, ISD keys provably diversified from the
 * batch master keys (the host opens SCP03 / SCP02 with master keys + the card's KDD), and a key file
 * that holds no clear key and whose TR-31 blocks unwrap, under the transport KEK, to the cards' keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import { kcv, unwrapKeyBlock } from '../../src/crypto/index.ts';
import { buildSelect, GpError, openScp02, openScp03, parseCplc, plainScp02Keys, plainScp03Keys } from '../../src/gp/index.ts';
import {
  ARA_M_AID,
  decodeCardState,
  DEFAULT_APPLET_LIBRARY,
  encodeCardState,
  encodeIccid,
  LEGACY_UICC,
  luhnDigit,
  manufactureBatch,
  MemoryCardStore,
  SeError,
  STRICT_ESE,
  STRICT_UICC,
  VirtualSecureElement,
  type CardState,
  type ManufacturedBatch,
} from '../../src/se/index.ts';
import { CardPortTransport } from './helpers.ts';

const AES_MASTERS = { enc: fromHex('404142434445464748494A4B4C4D4E4F'), mac: fromHex('505152535455565758595A5B5C5D5E5F'), dek: fromHex('606162636465666768696A6B6C6D6E6F') };
const KEK = { algorithm: 'aes' as const, key: fromHex('00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210') };
const DATE = new Date('2025-03-14T12:00:00Z');

function isdKeys(state: CardState): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } {
  const set = state.applications[0]!.sd!.keySets[0]!;
  const key = (id: number) => set.keys.find((k) => k.id === id)!.value;
  return { enc: key(1), mac: key(2), dek: key(3) };
}

function allSecrets(batch: ManufacturedBatch): Uint8Array[] {
  const out: Uint8Array[] = [KEK.key, AES_MASTERS.enc, AES_MASTERS.mac, AES_MASTERS.dek];
  for (const { state } of batch.cards) {
    const k = isdKeys(state);
    out.push(k.enc, k.mac, k.dek);
    for (const s of state.ota?.scp80 ?? []) out.push(s.kic, s.kid);
    if (state.ota?.scp81 !== undefined) out.push(state.ota.scp81.key);
  }
  return out;
}

describe('card factory: a UICC batch', () => {
  const batch = manufactureBatch({
    profile: STRICT_UICC,
    count: 24,
    batchMasterKeys: AES_MASTERS,
    iin: '89999',
    firstCin: '1000',
    firstIccid: '898821100000000000',
    transportKek: KEK,
    otaKeys: { algorithm: 'aes', kvns: [1, 2] },
    withAraM: true,
    date: DATE,
  });

  it('gives every card a distinct CIN, IC serial, KDD, ICCID and distinct ISD and OTA keys', () => {
    const { cards } = batch;
    const distinct = (values: string[], what: string) => assert.equal(new Set(values).size, cards.length, what);
    distinct(cards.map((c) => c.entry.cin), 'CIN');
    distinct(cards.map((c) => c.entry.icSerial), 'IC serial');
    distinct(cards.map((c) => c.entry.kdd), 'KDD');
    distinct(cards.map((c) => c.entry.iccid!), 'ICCID');
    distinct(cards.map((c) => c.entry.stateFile), 'state file');
    for (const t of ['enc', 'mac', 'dek'] as const) distinct(cards.map((c) => c.entry.isdKeys[t].kcv), `ISD ${t} KCV`);
    distinct(cards.map((c) => toHex(isdKeys(c.state).enc)), 'ISD ENC');
    distinct(cards.map((c) => c.entry.scp80[0]!.kic.kcv), 'KIc KCV');
    distinct(cards.map((c) => c.entry.scp81!.psk.kcv), 'PSK check value');
    distinct(cards.map((c) => c.entry.scp81!.identity), 'PSK identity');
    assert.equal(cards[0]!.entry.cin, '0000000000001000');
    assert.equal(cards[23]!.entry.cin, '0000000000001023');
  });

  it('writes consistent identifiers: CPLC serial and batch in the KDD, Luhn-valid ICCIDs, CIN/IIN in the ISD', () => {
    for (const { state, entry } of batch.cards) {
      const cplc = parseCplc(fromHex(entry.cplc));
      assert.equal(toHex(cplc.icSerialNumber), entry.icSerial);
      assert.equal(entry.kdd, toHex(Uint8Array.from([...cplc.icFabricator, ...cplc.icType, ...cplc.icSerialNumber, ...cplc.icBatchIdentifier])));
      assert.equal(toHex(state.applications[0]!.sd!.kdd), entry.kdd);
      const iccid = entry.iccid!;
      assert.equal(iccid.length, 19);
      assert.equal(luhnDigit(iccid.slice(0, -1)), iccid.at(-1));
      assert.equal(toHex(state.ota!.iccid!), toHex(encodeIccid(iccid)));
      assert.equal(toHex(state.applications[0]!.sd!.cin!), entry.cin);
      assert.equal(toHex(state.applications[0]!.sd!.iin!), '89999F');
      assert.deepEqual(state.ota!.scp80.map((k) => [k.kvn, k.counter, k.algorithm]), [[1, 0, 'aes'], [2, 0, 'aes']]);
      assert.deepEqual(entry.tars.map((t) => t.tar), ['000000', 'B00000']);
      assert.equal(entry.scp80[0]!.kicByte, '12', 'KVN 1, AES');
      assert.equal(entry.scp80[1]!.kidByte, '22');
    }
    assert.equal(batch.cards[0]!.entry.iccid, `898821100000000000${luhnDigit('898821100000000000')}`);
  });

  it('diversifies the ISD keys from the batch masters: the host opens SCP03 with masters + the KDD the card returns', async () => {
    for (const { state } of [batch.cards[0]!, batch.cards[17]!]) {
      const card = new VirtualSecureElement(new MemoryCardStore(state));
      const transport = new CardPortTransport(card);
      assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(STRICT_UICC.isdAid)))).sw, SW.OK);
      const session = await openScp03(transport, plainScp03Keys({ keyVersion: 0x30, ...AES_MASTERS, diversification: 'kdf3' }), { securityLevel: 0x33, sdAid: STRICT_UICC.isdAid });
      assert.equal((await session.transmit({ kind: 'command-apdu', cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x45, data: new Uint8Array(0), ne: 256, extended: false })).sw, SW.OK);
      session.close();
      // the undiversified masters are not the card's keys
      const other = new CardPortTransport(new VirtualSecureElement(new MemoryCardStore(state)));
      await other.transmit(encodeCommand(buildSelect(STRICT_UICC.isdAid)));
      await assert.rejects(openScp03(other, plainScp03Keys({ keyVersion: 0x30, ...AES_MASTERS }), { securityLevel: 0x01, sdAid: STRICT_UICC.isdAid }), GpError);
    }
  });

  it('the key file holds no clear key: no key appears in it in hex, upper or lower case', () => {
    const text = batch.keyFileText;
    for (const key of allSecrets(batch)) {
      assert.ok(!text.includes(toHex(key)), `clear key ${toHex(key).slice(0, 6)}… in the key file`);
      assert.ok(!text.toLowerCase().includes(toHex(key).toLowerCase()));
      assert.ok(!text.includes(Buffer.from(key).toString('base64')));
    }
    assert.equal((JSON.parse(text) as { format: string }).format, 'opentsm-keyfile/1');
  });

  it('its TR-31 blocks unwrap under the KEK to the batch masters and each card\'s OTA keys, with the documented headers', () => {
    const file = batch.keyFile;
    assert.equal(file.keyBlocks.version, 'D');
    assert.equal(file.transportKek.kcv, toHex(kcv(KEK.key, 'aes-cmac', 3)));
    for (const [name, role] of [['enc', 'GP-ISD-MK-ENC'], ['mac', 'GP-ISD-MK-MAC'], ['dek', 'GP-ISD-MK-DEK']] as const) {
      const u = unwrapKeyBlock(KEK.key, file.isd.masterKeys[name].keyBlock);
      assert.equal(toHex(u.key), toHex(AES_MASTERS[name]));
      assert.deepEqual([u.header.version, u.header.usage, u.header.algorithm, u.header.modeOfUse, u.header.keyVersion, u.header.exportability], ['D', 'B3', 'A', 'X', '30', 'N']);
      assert.deepEqual(u.header.optionalBlocks, [{ id: 'LB', data: role }]);
      assert.equal(u.kcv, file.isd.masterKeys[name].kcv);
    }
    for (const { state, entry } of batch.cards) {
      entry.scp80.forEach((set, i) => {
        const kic = unwrapKeyBlock(KEK.key, set.kic.keyBlock);
        const kid = unwrapKeyBlock(KEK.key, set.kid.keyBlock);
        assert.equal(toHex(kic.key), toHex(state.ota!.scp80[i]!.kic));
        assert.equal(toHex(kid.key), toHex(state.ota!.scp80[i]!.kid));
        assert.deepEqual([kic.header.usage, kic.header.modeOfUse, kic.header.keyVersion], ['D0', 'B', set.kvn]);
        assert.deepEqual([kid.header.usage, kid.header.modeOfUse], ['M6', 'C']);
        assert.equal(kic.kcv, set.kic.kcv);
      });
      const psk = unwrapKeyBlock(KEK.key, entry.scp81!.psk.keyBlock);
      assert.equal(toHex(psk.key), toHex(state.ota!.scp81!.key));
      assert.deepEqual([psk.header.usage, psk.header.algorithm, psk.header.keyVersion, psk.header.exportability], ['M7', 'H', '40', 'E']);
      assert.deepEqual(psk.header.optionalBlocks.map((b) => b.id), ['HM', 'LB']);
      // the per-card ISD keys are listed by KCV only, and match the card
      assert.equal(entry.isdKeys.mac.kcv, toHex(kcv(isdKeys(state).mac, 'aes-cmac', 3)));
    }
    assert.throws(() => unwrapKeyBlock(fromHex('00'.repeat(32)), file.isd.masterKeys.enc.keyBlock), 'a wrong KEK does not unwrap');
  });

  it('ships a working ARA-M and the UICC file system with EF ICCID; the state survives JSON', () => {
    const { state, entry } = batch.cards[3]!;
    const decoded = decodeCardState(encodeCardState(state));
    assert.equal(encodeCardState(decoded), encodeCardState(state));
    const card = new VirtualSecureElement(new MemoryCardStore(decoded), { library: DEFAULT_APPLET_LIBRARY });
    const read = (apdu: string) => parseResponse(card.process(fromHex(apdu)));
    assert.equal(read('00A40004022FE200').sw, SW.OK);
    assert.equal(toHex(read('00B000000A').data), toHex(encodeIccid(entry.iccid!)));
    assert.equal(read(`00A4040009${toHex(ARA_M_AID)}00`).sw, SW.OK);
    assert.equal(toHex(read('80CAFF4000').data), 'FF4000');
    assert.equal(card.stats.internalErrors, 0);
  });
});

describe('card factory: other profiles and refusals', () => {
  it('SCP02 (legacy-uicc): EMV and VISA2 diversification open SCP02 with the masters; a TDES KEK gives version B blocks', async () => {
    const masters = { enc: AES_MASTERS.enc, mac: AES_MASTERS.mac, dek: AES_MASTERS.dek };
    for (const diversification of ['emv', 'visa2'] as const) {
      const batch = manufactureBatch({ profile: LEGACY_UICC, count: 3, batchMasterKeys: masters, diversification, transportKek: { algorithm: 'tdes', key: fromHex('0123456789ABCDEFFEDCBA9876543210') }, otaKeys: { algorithm: 'tdes-2key' }, date: DATE });
      assert.equal(batch.keyFile.keyBlocks.version, 'B');
      assert.equal(batch.keyFile.isd.kvn, '20');
      const { state, entry } = batch.cards[1]!;
      assert.equal(entry.scp80[0]!.kicByte, '15', 'KVN 1, 3DES two-key');
      assert.equal(unwrapKeyBlock(fromHex('0123456789ABCDEFFEDCBA9876543210'), entry.scp80[0]!.kid.keyBlock).header.usage, 'M1');
      const transport = new CardPortTransport(new VirtualSecureElement(new MemoryCardStore(state)));
      await transport.transmit(encodeCommand(buildSelect(LEGACY_UICC.isdAid)));
      const session = await openScp02(transport, plainScp02Keys({ keyVersion: 0x20, ...masters, diversification }), { securityLevel: 0x01, sdAid: LEGACY_UICC.isdAid, i: 0x55 });
      session.close();
    }
  });

  it('an eSE batch has no ICCID, no OTA by default, and its cards answer as an eSE', () => {
    const batch = manufactureBatch({ profile: STRICT_ESE, count: 2, batchMasterKeys: AES_MASTERS, transportKek: KEK, date: DATE });
    const { state, entry } = batch.cards[0]!;
    assert.equal(state.ota, undefined);
    assert.equal(entry.iccid, undefined);
    assert.equal(entry.scp81, undefined);
    assert.match(entry.stateFile, /^card-0{15}1\.json$/);
    const card = new VirtualSecureElement(new MemoryCardStore(state));
    assert.notEqual(parseResponse(card.process(fromHex('00A40004023F0000'))).sw, SW.OK);
  });

  it('refuses inconsistent orders with readable errors', () => {
    const base = { profile: STRICT_UICC, count: 2, batchMasterKeys: AES_MASTERS, transportKek: KEK };
    const refused = (o: object, pattern: RegExp) => assert.throws(() => manufactureBatch({ ...base, ...o }), (e: unknown) => e instanceof SeError && pattern.test(e.message));
    refused({ diversification: 'emv' }, /emv makes TDES keys; profile strict-uicc uses SCP03/);
    refused({ count: 0 }, /count must be/);
    refused({ profile: STRICT_ESE, firstIccid: '898821100000000000' }, /eSE: it has no ICCID/);
    refused({ firstIccid: '8988' }, /first ICCID/);
    refused({ transportKek: { algorithm: 'tdes', key: fromHex('0123456789ABCDEFFEDCBA9876543210') } }, /cannot wrap GP-ISD-MK-ENC/);
    refused({ batchMasterKeys: { ...AES_MASTERS, dek: fromHex('00') } }, /batch master DEK/);
    refused({ otaKeys: { algorithm: 'aes', kvns: [0x10] } }, /OTA KVNs/);
    refused({ firstCin: '9999999999999999' }, /CIN range/);
    refused({ tars: ['B0000'] }, /TAR/);
  });
});
