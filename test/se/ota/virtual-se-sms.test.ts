/**
 * The virtual phone's UICC over SMS: a factory card (its OTA key set in the key file as TR-31 blocks)
 * on a file store; a host unwraps KIc/KID under the transport KEK, builds secured command packets
 * with src/ota, splits them into concatenated SMS-DELIVERs and feeds them to `se.receiveSms`; the
 * PoR comes back as an SMS-SUBMIT and is verified with src/ota's host side. Parts out of order, with a
 * gap or duplicated are handled as docs/ota.md says; a replayed packet gets PoR 02 and runs nothing,
 * also after the card is reopened from its store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KEK, hostOf, type Host, MASTERS, FULL, OTA_SERVER, SCTS } from './factory-host.ts';
import { counterBytes } from '../../../src/se/ota/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import {
  buildCommandPacket,
  encodeCommandScript,
  encodeCompactCommands,
  parseCompactResponse,
  parseResponseScript,
  parseSmsSubmit,
  smsDeliverTpdu,
  splitCommandPacket,
  spi,
  unwrapResponsePacket,
  type OtaKeys,
  type Spi,
} from '../../../src/ota/index.ts';
import { DEFAULT_APPLET_LIBRARY, FileCardStore, manufactureBatch, STRICT_UICC, VirtualSecureElement, type OtaReceipt } from '../../../src/se/index.ts';

const ISD_TAR = fromHex('000000');
const PPSE = '325041592E5359532E4444463031';

const GET_CPLC = '80CA9F7F00';
const GET_STATUS_APPS = '80F24002024F0000';
const LOCK_PPSE = '80F040800E' + PPSE;
const UNLOCK_PPSE = '80F040000E' + PPSE;

type SmsReceipt = ReturnType<VirtualSecureElement['receiveSms']>;


/**
 * A script in a secured packet under the host's keys: expanded (AA, a response per command) for short
 * scripts, compact (C-APDUs back to back, the PoR holds the last response only) for long ones.
 */
function packet(host: Host, apdus: readonly string[], counter: number, s: Spi = FULL, keys: OtaKeys = host.keys): Uint8Array {
  const data =
    apdus.length > 8
      ? encodeCompactCommands(apdus.map((a) => fromHex(a)))
      : encodeCommandScript(apdus.map((a) => ({ kind: 'c-apdu' as const, apdu: fromHex(a) })), { length: 'definite' });
  return buildCommandPacket(keys, { spi: s, kic: host.kic, kid: host.kid, tar: ISD_TAR, counter: counterBytes(counter), data });
}

/** The SMS-DELIVER TPDUs of a packet (split after securing, one reference per packet). */
function smsOf(p: Uint8Array, reference: number): Uint8Array[] {
  const parts = splitCommandPacket(p, { reference, referenceBits: 8 });
  return parts.map((userData, i) => smsDeliverTpdu({ originator: OTA_SERVER, moreMessagesWaiting: i < parts.length - 1, serviceCentreTimeStamp: SCTS, userData }));
}

/** The PoR SMS-SUBMIT, checked as the OTA platform would: addressed back to it, PID 00, DCS F6, CC and deciphering. */
function por(host: Host, r: SmsReceipt, counter: number, s: Spi = FULL) {
  assert.ok(r.submit !== undefined, `no PoR SMS (receipt ${r.receipt.kind})`);
  const sms = parseSmsSubmit(r.submit);
  assert.equal(sms.destination.digits, OTA_SERVER.digits);
  assert.equal(sms.protocolId, 0x00);
  assert.equal(sms.dataCoding, 0xf6);
  assert.equal(sms.userDataHeader, true);
  return unwrapResponsePacket(host.keys, sms.userData, { spi: s, kic: host.kic, kid: host.kid, tar: ISD_TAR, counter: counterBytes(counter) });
}

function processed(r: OtaReceipt): Extract<OtaReceipt, { kind: 'processed' }> {
  if (r.kind !== 'processed') assert.fail(`expected a processed packet, got ${r.kind === 'discarded' ? r.error.message : r.kind}`);
  return r;
}

/** A compact script long enough for three SMS: the lock, then CPLC reads (the last one's answer in the PoR). */
const CPLC_READS = Array.from({ length: 50 }, () => GET_CPLC);
const LONG_SCRIPT = [LOCK_PPSE, ...CPLC_READS];
const LONG_UNLOCK = [UNLOCK_PPSE, ...CPLC_READS];

/** The compact PoR of a long script: every command ran, the last answered the CPLC. */
function assertLongRan(card: VirtualSecureElement, data: Uint8Array): void {
  const compact = parseCompactResponse(data);
  assert.equal(compact.numberOfCommands, LONG_SCRIPT.length);
  assert.equal(compact.lastSw, 0x9000);
  assert.equal(toHex(compact.lastData), toHex(concat(fromHex('9F7F2A'), card.state.cplc)));
}

describe('the virtual SE over SMS (a factory UICC, its key file, a file store)', () => {
  let dir: string;
  let path: string;
  let host: Host;
  let se: VirtualSecureElement;
  const open = () => new VirtualSecureElement(new FileCardStore(path), { library: DEFAULT_APPLET_LIBRARY });
  const ppseLocked = (card: VirtualSecureElement) => (card.state.applications.find((a) => toHex(a.aid) === PPSE)!.lifecycle & 0x80) !== 0;
  const counter = (card: VirtualSecureElement) => card.state.ota!.scp80[0]!.counter;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'opentsm-se-sms-'));
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    const card = batch.cards[0]!;
    path = join(dir, card.entry.stateFile);
    new FileCardStore(path).save(card.state);
    host = hostOf(batch.keyFile.cards[0]!);
    se = open();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the key file names an AES key set 1 whose unwrapped keys are the card’s', () => {
    assert.equal(host.kic, 0x12);
    assert.equal(host.kid, 0x12);
    assert.deepEqual(host.keys.kic, se.state.ota!.scp80[0]!.kic);
    assert.deepEqual(host.keys.kid, se.state.ota!.scp80[0]!.kid);
  });

  it('one SMS: GET DATA CPLC runs on the ISD, the PoR SMS-SUBMIT (secured) carries the CPLC', () => {
    const [sms, ...rest] = smsOf(packet(host, [GET_CPLC], 1), 1);
    assert.equal(rest.length, 0);
    const r = se.receiveSms(sms!);
    assert.equal(processed(r.receipt).executed, 1);
    const p = por(host, r, 1);
    assert.equal(p.status, 0);
    assert.equal(p.secured, true);
    const script = parseResponseScript(p.data);
    assert.equal(script.executed, 1);
    assert.equal(toHex(script.responses[0]!), toHex(concat(fromHex('9F7F2A'), se.state.cplc, fromHex('9000'))));
    assert.equal(counter(se), 1);
  });

  it('concatenated, in order: pending parts, then the script runs (PPSE locked) and one PoR comes back', () => {
    const sms = smsOf(packet(host, LONG_SCRIPT, 2), 2);
    assert.equal(sms.length, 3);
    for (const [i, s] of sms.slice(0, -1).entries()) {
      const r = se.receiveSms(s);
      assert.deepEqual(r.receipt, { kind: 'pending', received: i + 1, total: sms.length });
      assert.equal(r.submit, undefined);
    }
    const r = se.receiveSms(sms.at(-1)!);
    assert.equal(processed(r.receipt).executed, LONG_SCRIPT.length);
    assertLongRan(se, por(host, r, 2).data);
    assert.ok(ppseLocked(se));
  });

  it('out of order, with a gap: refused, nothing runs, no counter moves; a resend under a new reference runs', () => {
    const unlock = packet(host, LONG_UNLOCK, 3);
    const deliver = (order: readonly Uint8Array[]) => order.map((s) => se.receiveSms(s));
    const concatRefused = (r: SmsReceipt) => r.receipt.kind === 'discarded' && r.receipt.error.code === 'ERR_OTA_CONCAT' && r.submit === undefined;
    // reordered: 3, 2 refused; 1 starts a set that never completes
    const reversed = deliver([...smsOf(unlock, 3)].reverse());
    assert.deepEqual(reversed.map((r) => r.receipt.kind), ['discarded', 'discarded', 'pending']);
    assert.ok(concatRefused(reversed[0]!) && concatRefused(reversed[1]!));
    // a gap: part 1 then part 3 (a new reference starts over); the set is dropped, so part 2 and 3 are refused too
    const [p1, p2, p3] = smsOf(unlock, 13);
    assert.deepEqual(deliver([p1!, p3!]).map((r) => r.receipt.kind), ['pending', 'discarded']);
    assert.ok(deliver([p2!, p3!]).every(concatRefused));
    assert.equal(counter(se), 2);
    assert.ok(ppseLocked(se));
    // the host's resend: a fresh reference, the same packet (its counter never ran)
    const last = deliver(smsOf(unlock, 4)).at(-1)!;
    assertLongRan(se, por(host, last, 3).data);
    assert.equal(ppseLocked(se), false);
    assert.equal(counter(se), 3);
  });

  it('a duplicated part is ignored (the set goes on); a set delivered twice runs once, the copy gets PoR 02', () => {
    const sms = smsOf(packet(host, LONG_SCRIPT, 4), 5);
    const kinds = [sms[0]!, sms[0]!, sms[1]!, sms[1]!, sms[2]!].map((s) => se.receiveSms(s).receipt.kind);
    assert.deepEqual(kinds, ['pending', 'discarded', 'pending', 'discarded', 'processed']);
    assert.ok(ppseLocked(se));
    // unlock with counter 5, then the network delivers the counter-4 set again: it must not lock again
    assert.equal(por(host, se.receiveSms(smsOf(packet(host, [UNLOCK_PPSE], 5), 6)[0]!), 5).status, 0);
    const again = sms.map((s) => se.receiveSms(s)).at(-1)!;
    const p = por(host, again, 4);
    assert.equal(p.status, 0x02);
    assert.equal(p.secured, true);
    assert.equal(processed(again.receipt).executed, 0);
    assert.equal(ppseLocked(se), false);
    assert.equal(counter(se), 5);
  });

  it('the counter is in the card store: reopened, the card refuses a replay (02, nothing runs) and takes the next counter', () => {
    const reopened = open();
    assert.equal(counter(reopened), 5);
    // the counter-4 lock set, its exact SMS again, and a lock under the used counter 5
    const replays: [readonly Uint8Array[], number][] = [
      [smsOf(packet(host, LONG_SCRIPT, 4), 5), 4],
      [smsOf(packet(host, [LOCK_PPSE], 5), 7), 5],
    ];
    for (const [sms, n] of replays) {
      const r = sms.map((x) => reopened.receiveSms(x)).at(-1)!;
      assert.equal(por(host, r, n).status, 0x02);
      assert.equal(processed(r.receipt).executed, 0);
    }
    assert.equal(ppseLocked(reopened), false);
    const next = reopened.receiveSms(smsOf(packet(host, [GET_STATUS_APPS], 6), 8)[0]!);
    assert.equal(por(host, next, 6).status, 0);
    assert.equal(counter(open()), 6);
    se = open();
  });

  it('a wrong KID: unsecured PoR 01 by SMS-SUBMIT, nothing runs, no counter moves', () => {
    const wrong = { kic: host.keys.kic, kid: fromHex('00'.repeat(16)) };
    const r = se.receiveSms(smsOf(packet(host, [LOCK_PPSE], 50, FULL, wrong), 9)[0]!);
    const p = por(host, r, 0);
    assert.equal(p.status, 0x01);
    assert.equal(p.secured, false);
    assert.equal(counter(se), 6);
    assert.equal(ppseLocked(se), false);
  });

  it('PoR via SMS-DELIVER-REPORT: no SMS-SUBMIT, the PoR stays in the receipt for the RP-ACK', () => {
    const s = spi({ ...FULL, porVia: 'deliver-report' });
    const r = se.receiveSms(smsOf(packet(host, [GET_CPLC], 7, s), 10)[0]!);
    assert.equal(r.submit, undefined);
    const p = processed(r.receipt);
    const back = unwrapResponsePacket(host.keys, p.por!, { spi: s, kic: host.kic, kid: host.kid, tar: ISD_TAR, counter: counterBytes(7) });
    assert.equal(back.status, 0);
  });

  it('no PoR asked: the script runs, nothing is sent', () => {
    const s = spi({ ...FULL, por: 'none' });
    const r = se.receiveSms(smsOf(packet(host, [GET_CPLC], 8, s), 11)[0]!);
    assert.equal(processed(r.receipt).executed, 1);
    assert.equal(r.submit, undefined);
  });

  it('an SMS that is not data download (TP-PID 00, or no class 2), or not an SMS-DELIVER: discarded before the receiver', () => {
    const ud = splitCommandPacket(packet(host, [LOCK_PPSE], 9), { reference: 12, referenceBits: 8 })[0]!;
    const plain = smsDeliverTpdu({ originator: OTA_SERVER, moreMessagesWaiting: false, serviceCentreTimeStamp: SCTS, userData: ud });
    const pid00 = plain.slice();
    pid00[2 + Math.ceil(OTA_SERVER.digits.length / 2) + 1] = 0x00;
    const class1 = plain.slice();
    class1[2 + Math.ceil(OTA_SERVER.digits.length / 2) + 2] = 0xf5;
    for (const tpdu of [pid00, class1, Uint8Array.of(0x01), new Uint8Array(0), plain.subarray(0, 10)]) {
      const r = se.receiveSms(tpdu);
      assert.equal(r.receipt.kind, 'discarded', toHex(tpdu));
      assert.equal(r.submit, undefined);
    }
    assert.equal(counter(se), 8);
    assert.equal(ppseLocked(se), false);
    // the untouched one goes through
    assert.equal(por(host, se.receiveSms(plain), 9).status, 0);
    assert.ok(ppseLocked(se));
  });

  it('the card OS stays sound: no internal errors after all of it', () => {
    assert.equal(se.stats.internalErrors, 0);
  });
});
