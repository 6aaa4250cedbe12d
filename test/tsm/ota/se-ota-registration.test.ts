/**
 * An SE's OTA registration through the MNO API (src/tsm/registry/se-ota.ts): a UICC's key file entry
 * (`tars`, `scp80`, `scp81`) taken verbatim — KIc D0 / KID M6 / PSK M7 of class protocol-memory in
 * the HSM, their KCVs equal to the factory's — and the trigger's MSISDN sealed (never in the store,
 * the request hash or a log line); hostile input refused with ERR_TSM_REQUEST naming the field, and
 * an item refused at import writes no row.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { toHex } from '../../../src/bytes/index.ts';
import { manufactureBatch, STRICT_UICC, type ManufacturedBatch } from '../../../src/se/index.ts';
import { getOtaCounter } from '../../../src/store/index.ts';
import { checkSeOta, findSecureElement, openSeMsisdn, TsmError } from '../../../src/tsm/index.ts';
import { bearer, errorOf } from '../http/fixture.ts';
import { importBatch, seItem, withMno, type MnoFixture } from '../http/mno-fixture.ts';

const MSISDN = '447700900123';
type Results = { created: number; existing: number; failed: number; results: { seId: string; result: string; error?: { code: string; message: string } }[] };

/** A UICC batch whose key file is under the fixture's transport KEK. */
function uiccBatch(f: MnoFixture, count = 1, otaAlgorithm: 'aes' | 'tdes-2key' | 'tdes-3key' = 'aes'): ManufacturedBatch {
  return manufactureBatch({
    profile: STRICT_UICC, count, withPayment: false, otaKeys: { algorithm: otaAlgorithm },
    batchMasterKeys: { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) },
    transportKek: { algorithm: 'aes', key: f.kek },
  });
}

/** The key file entry's OTA part, verbatim, with the KBPK and the MSISDN. */
function otaOf(batch: ManufacturedBatch, i = 0, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const card = batch.keyFile.cards[i]!;
  return { tars: card.tars, scp80: card.scp80, scp81: card.scp81, kbpk: 'factory KBPK', msisdn: MSISDN, ...extra };
}

const register = (f: MnoFixture, items: unknown[]) => f.app.inject({ method: 'POST', url: '/v1/mno/secure-elements', headers: bearer(f.mno.a), payload: { items } });

describe('SE OTA registration: the key file\'s scp80/scp81 and a sealed MSISDN', () => {
  it('a 3DES key set (2 and 3 keys): KIc D0 TDES, KID M1 TDES (ISO 9797-1 MAC algorithm 1, computed in the HSM)', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      for (const [i, algorithm, length] of [[0, 'tdes-2key', 16], [1, 'tdes-3key', 24]] as const) {
        const uicc = uiccBatch(f, 1, algorithm);
        const item = { ...seItem(f, batchId, i, `se-uicc-${algorithm}`), platform: 'strict-uicc', ota: otaOf(uicc) };
        const r = await register(f, [item]);
        assert.equal(r.statusCode, 200, r.body);
        assert.deepEqual(r.json<Results>().results, [{ seId: `se-uicc-${algorithm}`, result: 'created' }]);
        const ota = (await findSecureElement(f.db, `se-uicc-${algorithm}`))!.ota!;
        const kic = await f.t.hsm.getKey(ota.scp80![0]!.kic, f.mnoCtx);
        const kid = await f.t.hsm.getKey(ota.scp80![0]!.kid, f.mnoCtx);
        assert.deepEqual([kic.attributes.usage, kic.attributes.algorithm, kic.attributes.length], ['D0', 'T', length]);
        assert.deepEqual([kid.attributes.usage, kid.attributes.algorithm, kid.attributes.length], ['M1', 'T', length]);
      }
    }));

  it('imports KIc (D0), KID (M6) and the PSK (M7, protocol-memory) with the factory\'s KCVs; the MSISDN only sealed; GET shows bytes and identity, no key id; same again "exists", another MSISDN a conflict', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const uicc = uiccBatch(f);
      const card = uicc.keyFile.cards[0]!;
      const item = { ...seItem(f, batchId, 0, 'se-uicc'), platform: 'strict-uicc', ota: otaOf(uicc) };
      const r = await register(f, [item]);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json<Results>().results, [{ seId: 'se-uicc', result: 'created' }]);
      const se = (await findSecureElement(f.db, 'se-uicc'))!;
      const ota = se.ota!;
      assert.deepEqual(ota.tars, card.tars.map((t) => t.tar.toUpperCase()));
      const set = card.scp80[0]!;
      assert.deepEqual(ota.scp80!.map((k) => [k.kvn, k.kicByte, k.kidByte]), [[set.kvn, set.kicByte, set.kidByte]]);
      const kic = await f.t.hsm.getKey(ota.scp80![0]!.kic, f.mnoCtx);
      const kid = await f.t.hsm.getKey(ota.scp80![0]!.kid, f.mnoCtx);
      assert.deepEqual([kic.attributes.usage, kic.attributes.algorithm, kic.kcv], ['D0', 'A', set.kic.kcv.toUpperCase()]);
      assert.deepEqual([kid.attributes.usage, kid.attributes.algorithm, kid.kcv], ['M6', 'A', set.kid.kcv.toUpperCase()]);
      const psk = await f.t.hsm.getKey(ota.scp81!.psk, f.mnoCtx);
      assert.deepEqual([psk.attributes.usage, psk.attributes.algorithm, psk.attributes.class, psk.kcv], ['M7', 'H', 'protocol-memory', card.scp81!.psk.kcv.toUpperCase()]);
      assert.equal(ota.scp81!.identity, card.scp81!.identity);
      const clearPsk = uicc.cards[0]!.state.ota!.scp81!.key;
      assert.equal(toHex(await f.t.hsm.revealProtocolKey(ota.scp81!.psk, f.mnoCtx)), toHex(clearPsk));
      // the MSISDN: opened with the MNO's keys, nowhere in the clear (row, request hash) nor in a log line
      assert.equal(await openSeMsisdn(f.t.hsm, se), MSISDN);
      const row = await f.db.selectFrom('secure_elements').selectAll().where('se_id', '=', 'se-uicc').executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(row).includes(MSISDN), 'no MSISDN in the row');
      const bareHash = createHash('sha256').update(JSON.stringify(item)).digest('hex');
      assert.notEqual(row.request_hash, bareHash);
      assert.ok(!f.logs.some((l) => l.includes(MSISDN)), 'no MSISDN in the logs');
      // a sealed MSISDN moved to another SE's record does not open there (bound to the SE id)
      await assert.rejects(openSeMsisdn(f.t.hsm, { ...se, seId: 'se-other' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
      const got = await f.app.inject({ method: 'GET', url: '/v1/mno/secure-elements/se-uicc', headers: bearer(f.mno.a) });
      assert.equal(got.statusCode, 200, got.body);
      assert.deepEqual(got.json<{ ota: unknown }>().ota, {
        tars: ota.tars, scp80: [{ kvn: set.kvn, kicByte: set.kicByte, kidByte: set.kidByte }], scp81: { kvn: card.scp81!.kvn, identity: card.scp81!.identity }, msisdn: true,
      });
      for (const id of [kic.id, kid.id, psk.id]) assert.ok(!got.body.includes(id));
      assert.ok(!got.body.includes(MSISDN));
      const again = await register(f, [item]);
      assert.deepEqual(again.json<Results>().results, [{ seId: 'se-uicc', result: 'exists' }]);
      const moved = await register(f, [{ ...item, ota: otaOf(uicc, 0, { msisdn: '447700900999' }) }]);
      assert.deepEqual(moved.json<Results>().results[0]!.error?.code, 'ALREADY_EXISTS');
    }));

  it('ChangeSeTriggerMsisdn: the new number sealed, the old one never opens again; bad number 400, another MNO 404, no OTA data 409, nothing logged', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const uicc = uiccBatch(f);
      assert.equal((await register(f, [{ ...seItem(f, batchId, 0, 'se-m'), platform: 'strict-uicc', ota: otaOf(uicc) }, seItem(f, batchId, 1, 'se-plain')])).json<Results>().created, 2);
      const before = (await findSecureElement(f.db, 'se-m'))!;
      const change = (seId: string, msisdn: unknown, token = f.mno.a) =>
        f.app.inject({ method: 'POST', url: `/v1/mno/secure-elements/${seId}/ota/msisdn`, headers: bearer(token), payload: { msisdn } });
      const NEW = '447700900777';
      const ok = await change('se-m', NEW);
      assert.equal(ok.statusCode, 204, ok.body);
      const after = (await findSecureElement(f.db, 'se-m'))!;
      assert.equal(await openSeMsisdn(f.t.hsm, after), NEW);
      assert.deepEqual({ ...after.ota, msisdn: undefined }, { ...before.ota, msisdn: undefined }, 'the keys and bytes stay');
      await assert.rejects(openSeMsisdn(f.t.hsm, before), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE', 'the old record key is destroyed');
      const row = await f.db.selectFrom('secure_elements').select('ota').where('se_id', '=', 'se-m').executeTakeFirstOrThrow();
      assert.ok(!row.ota!.includes(NEW) && !row.ota!.includes(MSISDN));
      const badNumber = await change('se-m', '+447700900777');
      assert.deepEqual([badNumber.statusCode, errorOf(badNumber.body).message.startsWith('body.msisdn')], [400, true]);
      assert.equal((await change('se-m', NEW, f.mno.b)).statusCode, 404);
      assert.equal((await change('se-none', NEW)).statusCode, 404);
      const plain = await change('se-plain', NEW);
      assert.deepEqual([plain.statusCode, errorOf(plain.body).code], [409, 'FAILED_PRECONDITION']);
      assert.ok(!f.logs.some((l) => l.includes(NEW) || l.includes(MSISDN)));
    }));

  it('HandleSEMobileSubscriptionChangedNotification moves the trigger SMS to the new number too (the old record key destroyed); an SE without OTA data just changes subscription', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const uicc = uiccBatch(f);
      assert.equal((await register(f, [{ ...seItem(f, batchId, 0, 'se-n'), platform: 'strict-uicc', ota: otaOf(uicc) }, seItem(f, batchId, 1, 'se-plain')])).json<Results>().created, 2);
      const before = (await findSecureElement(f.db, 'se-n'))!;
      const NEW = '447700900888';
      const notify = (seId: string, newMsisdn = NEW) => f.app.inject({ method: 'POST', url: '/v1/mno/notifications', headers: bearer(f.mno.a), payload: { kind: 'HandleSEMobileSubscriptionChangedNotification', seId, newMsisdn } });
      const r = await notify('se-n');
      assert.equal(r.statusCode, 202, r.body);
      assert.equal(await openSeMsisdn(f.t.hsm, (await findSecureElement(f.db, 'se-n'))!), NEW);
      await assert.rejects(openSeMsisdn(f.t.hsm, before), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
      assert.equal((await notify('se-plain', '447700900889')).statusCode, 202);
      assert.equal((await findSecureElement(f.db, 'se-plain'))!.ota, undefined);
      assert.ok(!f.logs.some((l) => l.includes(NEW)));
    }));

  it('the key file\'s counter moves the TSM\'s counter of that key set up (the next trigger is higher than the card\'s)', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const uicc = uiccBatch(f);
      const set = { ...uicc.keyFile.cards[0]!.scp80[0]!, counter: 7 };
      const r = await register(f, [{ ...seItem(f, batchId, 0, 'se-c'), platform: 'strict-uicc', ota: otaOf(uicc, 0, { scp80: [set] }) }]);
      assert.equal(r.json<Results>().created, 1, r.body);
      assert.equal(await getOtaCounter(f.db, 'se-c', `kic-${set.kicByte}/kid-${set.kidByte}`), 7n);
    }));

  it('refuses an item whose keys do not check out (usage, KCV, not a block under the KBPK), naming the field; no row, other items go on', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const uicc = uiccBatch(f, 1);
      const card = uicc.keyFile.cards[0]!;
      const set = card.scp80[0]!;
      const psk = card.scp81!;
      const cases: [string, Record<string, unknown>, string][] = [
        ['swapped', { scp80: [{ ...set, kic: set.kid, kid: set.kic }] }, 'ota.scp80[0].kic.keyBlock: expected a key of usage D0'],
        ['kcv', { scp80: [{ ...set, kic: { ...set.kic, kcv: set.kic.kcv === '000000' ? '111111' : '000000' } }] }, 'ota.scp80[0].kic.kcv: does not match the imported key'],
        ['psk-as-kid', { scp80: [{ ...set, kid: psk.psk }] }, 'ota.scp80[0].kid.keyBlock: expected a key of usage M6'],
        ['kic-as-psk', { scp81: { ...psk, psk: set.kic } }, 'ota.scp81.psk.keyBlock: expected a key of usage M7'],
        ['psk-kcv', { scp81: { ...psk, psk: { ...psk.psk, kcv: 'ABCDEF' } } }, 'ota.scp81.psk.kcv: does not match the imported key'],
        ['garbage', { scp80: [{ ...set, kid: { keyBlock: 'D0112M6TA00E0000' + 'A'.repeat(64), kcv: '000000' } }] }, 'ota.scp80[0].kid.keyBlock: not a valid key block under the KBPK'],
        ['3des-kic-byte', { scp80: [{ ...set, kicByte: '15' }] }, 'ota.scp80[0].kic.keyBlock: the key does not fit the algorithm its key byte names'],
      ];
      const items = [
        ...cases.map(([name, extra]) => ({ ...seItem(f, batchId, 0, `se-${name}`), platform: 'strict-uicc', ota: otaOf(uicc, 0, extra) })),
        { ...seItem(f, batchId, 0, 'se-good'), platform: 'strict-uicc', ota: otaOf(uicc) },
      ];
      const r = await register(f, items);
      assert.equal(r.statusCode, 200, r.body);
      const results = r.json<Results>().results;
      cases.forEach(([name, , message], i) => {
        assert.deepEqual(results[i], { seId: `se-${name}`, result: 'error', error: { code: 'INVALID_ARGUMENT', message: `items[${i}].${message}` } }, name);
      });
      assert.deepEqual(results.at(-1), { seId: 'se-good', result: 'created' });
      const rows = await f.db.selectFrom('secure_elements').select('se_id').execute();
      assert.deepEqual(rows.map((x) => x.se_id).sort(), ['se-good']);
    }));

  it('refuses hostile input before any key is imported: ERR_TSM_REQUEST naming the field', () => {
    const key = { keyBlock: 'D0112D0AB00N0000' + 'A'.repeat(64), kcv: 'ABCDEF' };
    const set = { kvn: '01', kicByte: '12', kidByte: '12', counter: 0, kic: key, kid: key };
    const scp81 = { kvn: '40', identity: '//se-id/iccid/1;//aa-id/aid/A000000151000000', psk: key };
    const base = { tars: ['000000'], kbpk: 'k', scp80: [set], scp81, msisdn: MSISDN };
    const cases: [unknown, string][] = [
      [null, 'ota: expected an object'],
      [[base], 'ota: expected an object'],
      [{ ...base, tars: [] }, 'ota.tars: 1 to 16 TARs'],
      [{ ...base, tars: Array(17).fill('000000') }, 'ota.tars: 1 to 16 TARs'],
      [{ ...base, tars: ['00000G'] }, 'ota.tars[0]: expected 3 bytes in hex'],
      [{ ...base, tars: ['000000', { tar: '0000' }] }, 'ota.tars[1].tar: expected 3 bytes in hex'],
      [{ ...base, tars: [{ toString: () => '000000' }] }, 'ota.tars[0].tar: expected 3 bytes in hex'],
      [{ ...base, kic: 'D0112D0AB00N0000AAAA' }, 'ota.kic: is not allowed with ota.scp80'],
      [{ ...base, scp80: [] }, 'ota.scp80: 1 to 4 key sets'],
      [{ ...base, scp80: Array(5).fill(set) }, 'ota.scp80: 1 to 4 key sets'],
      [{ ...base, scp80: 'x' }, 'ota.scp80: 1 to 4 key sets'],
      [{ ...base, scp80: [null] }, 'ota.scp80[0]: expected a key file scp80 entry {kicByte, kidByte, kic, kid}'],
      [{ ...base, scp80: [{ ...set, kicByte: 'G2' }] }, 'ota.scp80[0].kicByte: expected one byte in hex'],
      [{ ...base, scp80: [{ ...set, kicByte: 0x12 }] }, 'ota.scp80[0].kicByte: expected one byte in hex'],
      [{ ...base, scp80: [{ ...set, kicByte: '11' }] }, 'ota.scp80[0].kicByte: KIc algorithm des-cbc cannot run in the HSM (AES or 3DES)'],
      [{ ...base, scp80: [{ ...set, kicByte: '13' }] }, 'ota.scp80[0].kicByte: not a KIc byte this TSM can use'],
      [{ ...base, scp80: [{ ...set, kidByte: '11' }] }, 'ota.scp80[0].kidByte: KID algorithm des-cbc cannot run in the HSM (AES or 3DES)'],
      [{ ...base, scp80: [{ ...set, kidByte: '10' }] }, 'ota.scp80[0].kidByte: not a KID byte this TSM can use'],
      [{ ...base, scp80: [{ ...set, kvn: '02' }] }, 'ota.scp80[0].kvn: does not match the key version nibble of kicByte / kidByte'],
      [{ ...base, scp80: [{ ...set, counter: -1 }] }, 'ota.scp80[0].counter: expected an integer 0 to 2^40 − 1'],
      [{ ...base, scp80: [{ ...set, counter: 1.5 }] }, 'ota.scp80[0].counter: expected an integer 0 to 2^40 − 1'],
      [{ ...base, scp80: [{ ...set, counter: 2 ** 40 }] }, 'ota.scp80[0].counter: expected an integer 0 to 2^40 − 1'],
      [{ ...base, scp80: [{ ...set, counter: '1' }] }, 'ota.scp80[0].counter: expected an integer 0 to 2^40 − 1'],
      [{ ...base, scp80: [{ ...set, kic: 'D0112' }] }, 'ota.scp80[0].kic: expected {keyBlock, kcv}'],
      [{ ...base, scp80: [{ ...set, kid: { ...key, keyBlock: 'short' } }] }, 'ota.scp80[0].kid.keyBlock: expected a TR-31 key block (printable ASCII)'],
      [{ ...base, scp80: [{ ...set, kid: { ...key, keyBlock: `${key.keyBlock}\n` } }] }, 'ota.scp80[0].kid.keyBlock: expected a TR-31 key block (printable ASCII)'],
      [{ ...base, scp80: [{ ...set, kic: { ...key, kcv: 'AB' } }] }, 'ota.scp80[0].kic.kcv: expected a key check value of 3 to 5 bytes in hex'],
      [{ ...base, scp81: 'psk' }, 'ota.scp81: expected {kvn, identity, psk}'],
      [{ ...base, scp81: { ...scp81, kvn: '400' } }, 'ota.scp81.kvn: expected one byte in hex'],
      [{ ...base, scp81: { ...scp81, identity: '' } }, 'ota.scp81.identity: expected 1 to 128 printable ASCII characters'],
      [{ ...base, scp81: { ...scp81, identity: 'x'.repeat(129) } }, 'ota.scp81.identity: expected 1 to 128 printable ASCII characters'],
      [{ ...base, scp81: { ...scp81, identity: 'id\u0000' } }, 'ota.scp81.identity: expected 1 to 128 printable ASCII characters'],
      [{ ...base, scp81: { ...scp81, identity: 'idé' } }, 'ota.scp81.identity: expected 1 to 128 printable ASCII characters'],
      [{ ...base, scp81: { ...scp81, psk: undefined } }, 'ota.scp81.psk: expected {keyBlock, kcv}'],
      [{ ...base, kbpk: undefined }, 'ota.kbpk: required with keys (scp80, scp81, kic, kid)'],
      [{ tars: ['000000'], scp81, kbpk: 7 }, 'ota.kbpk: required with keys (scp80, scp81, kic, kid)'],
      [{ ...base, msisdn: '+447700900123' }, 'ota.msisdn: 6 to 15 digits (E.164, no +)'],
      [{ ...base, msisdn: '12345' }, 'ota.msisdn: 6 to 15 digits (E.164, no +)'],
      [{ ...base, msisdn: '4'.repeat(16) }, 'ota.msisdn: 6 to 15 digits (E.164, no +)'],
      [{ ...base, msisdn: 447700900123 }, 'ota.msisdn: 6 to 15 digits (E.164, no +)'],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => checkSeOta(input), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST' && e.message === message, `${message} (${JSON.stringify(input)?.slice(0, 80)})`);
    }
    assert.doesNotThrow(() => checkSeOta(base));
    assert.doesNotThrow(() => checkSeOta({ tars: [{ tar: 'B00000', sdAid: 'A000000151000000' }] }));
  });

  it('the HTTP schema refuses unknown fields and wrong types in the key file shapes (400 naming the field)', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const uicc = uiccBatch(f);
      const card = uicc.keyFile.cards[0]!;
      for (const [ota, field] of [
        [otaOf(uicc, 0, { scp81: { ...card.scp81!, extra: 1 } }), 'body.items.0.ota.scp81'],
        [otaOf(uicc, 0, { scp80: [{ ...card.scp80[0]!, kic: { ...card.scp80[0]!.kic, key: '00' } }] }), 'body.items.0.ota.scp80.0.kic'],
        [otaOf(uicc, 0, { msisdn: 'tel:447700900123' }), 'body.items.0.ota.msisdn'],
      ] as const) {
        const r = await register(f, [{ ...seItem(f, batchId, 0, 'se-s'), platform: 'strict-uicc', ota }]);
        assert.equal(r.statusCode, 400, r.body);
        assert.ok(errorOf(r.body).message.startsWith(field), errorOf(r.body).message);
        assert.ok(!r.body.includes('447700900123'));
      }
    }));
});
