/**
 * The POS terminal against a scripted card (fixtures/mock-card.ts) whose certificates the software HSM
 * issued: both flows, what goes to the Authorizer, offline declines, application selection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex, toHex } from '../../src/bytes/index.ts';
import { DeviceError, PosTerminal, hasTvr, type TerminalOutcome } from '../../src/device/index.ts';
import type { AuthorizationRequest, AuthorizationResponse, Authorizer } from '../../src/emv/index.ts';
import { tlv } from '../../src/tlv/index.ts';
import { AID, CDOL1, CRYPTOGRAM, MockCard, cardSpec, type CardSpec } from './fixtures/mock-card.ts';
import { PAN, makePki, type Pki } from './fixtures/pki.ts';

const TX = { amount: 1234, currency: 978, country: 250, date: '261127', type: '00' } as const;
const UN = hex`CAFEBABE`;

class RecordingAuthorizer implements Authorizer {
  readonly requests: AuthorizationRequest[] = [];
  constructor(readonly answer: AuthorizationResponse = { decision: 'approved', responseCode: '00', issuerAuthenticationData: hex`11223344556677883030`, scripts: [] }) {}
  authorize(request: AuthorizationRequest): Promise<AuthorizationResponse> {
    this.requests.push(request);
    return Promise.resolve(this.answer);
  }
}

let pki: Pki;
before(async () => (pki = await makePki()));
after(() => pki.close());

function terminal(authorizer: Authorizer, extra: Partial<ConstructorParameters<typeof PosTerminal>[0]> = {}): PosTerminal {
  return new PosTerminal({ caKeys: [pki.caKey], supportedAids: [hex`A000000003`, hex`A000000004`], authorizer, random: () => UN.slice(), ...extra });
}

async function tap(spec: Partial<CardSpec> & { flow: 'gpo' | 'generate-ac' }, authorizer = new RecordingAuthorizer()): Promise<{ outcome: TerminalOutcome; card: MockCard; authorizer: RecordingAuthorizer }> {
  const card = new MockCard(await cardSpec(pki, spec.flow, spec));
  return { outcome: await terminal(authorizer).transact(card, TX), card, authorizer };
}

describe('PosTerminal', () => {
  it('flow gpo: fDDA passes, the ARQC from the GPO goes online with the PDOL values, approved', async () => {
    const { outcome, card, authorizer } = await tap({ flow: 'gpo' });
    assert.equal(outcome.kind, 'approved', JSON.stringify(outcome.kind === 'error' ? outcome.error.message : outcome));
    assert.ok(outcome.kind === 'approved');
    assert.deepEqual(outcome.oda, { kind: 'fdda-ok' });
    assert.equal(toHex(outcome.tvr), '0000000000');
    assert.equal(toHex(outcome.aid), toHex(AID));
    assert.deepEqual(outcome.cryptogram, { cid: 0x80, atc: 0x11, source: 'gpo' });
    assert.equal(toHex(outcome.authorization.issuerAuthenticationData!), '11223344556677883030');
    const request = authorizer.requests[0]!;
    assert.equal(request.pan, PAN);
    assert.equal(request.psn, '01');
    assert.equal(toHex(request.cryptogram), toHex(CRYPTOGRAM));
    assert.equal(request.cid, 0x80);
    assert.deepEqual(Object.keys(request.data).sort(), ['5F2A', '82', '95', '9A', '9C', '9F02', '9F03', '9F10', '9F1A', '9F36', '9F37'].sort());
    for (const tag of ['9F02', '9F03', '9F1A', '95', '5F2A', '9A', '9C', '9F37']) assert.equal(toHex(request.data[tag]!), toHex(card.pdolValues[tag]!), tag);
    assert.equal(toHex(request.data['9F02']!), '000000001234');
    assert.equal(toHex(request.data['9F37']!), toHex(UN));
    assert.equal(toHex(card.pdolValues['9F66']!), '21804000');
    // one tap: no EXTERNAL AUTHENTICATE from the terminal
    assert.ok(card.commands.every((c) => c[1] !== 0x82));
  });

  it('flow generate-ac: GENERATE AC asks for an ARQC with the CDOL1 data; declined carries the reason', async () => {
    const authorizer = new RecordingAuthorizer({ decision: 'declined', reason: 'cryptogram-invalid', responseCode: '05', scripts: [] });
    const { outcome, card } = await tap({ flow: 'generate-ac' }, authorizer);
    assert.ok(outcome.kind === 'declined', outcome.kind);
    assert.equal(outcome.reason, 'cryptogram-invalid');
    assert.equal(outcome.cryptogram.source, 'generate-ac');
    assert.equal(card.lastGenerateAc?.p1, 0x80);
    assert.equal(card.lastGenerateAc?.data.length, 29);
    assert.equal(toHex(card.lastGenerateAc.data.subarray(24, 25)), '00'); // 9C
    assert.equal(toHex(authorizer.requests[0]!.data['9F37']!), toHex(UN));
    assert.ok(CDOL1.length > 0);
  });

  it('a tampered SDAD sets "DDA failed" and declines offline (gpo: no authorization; generate-ac: asks for an AAC)', async () => {
    const flip = (s: Uint8Array): Uint8Array => {
      const t = s.slice();
      t[10]! ^= 1;
      return t;
    };
    for (const flow of ['gpo', 'generate-ac'] as const) {
      const { outcome, card, authorizer } = await tap({ flow, tamperSdad: flip });
      assert.ok(outcome.kind === 'declined-offline', `${flow}: ${outcome.kind}`);
      assert.equal(outcome.reason, 'oda-failed');
      assert.deepEqual(outcome.oda, { kind: 'failed', stage: 'sdad' });
      assert.ok(hasTvr(outcome.tvr, 'ddaFailed'));
      assert.equal(authorizer.requests.length, 0);
      if (flow === 'generate-ac') assert.equal(card.lastGenerateAc?.p1, 0x00);
    }
  });

  it('with an empty denial action code a failed fDDA still goes online, its TVR bit in the CDOL1 data', async () => {
    const card = new MockCard(await cardSpec(pki, 'generate-ac', { tamperSdad: (s) => s.map((b, i) => (i === 3 ? b ^ 1 : b)) }));
    const authorizer = new RecordingAuthorizer();
    const outcome = await terminal(authorizer, { tacDenial: new Uint8Array(5) }).transact(card, TX);
    assert.equal(outcome.kind, 'approved');
    assert.equal(toHex(authorizer.requests[0]!.data['95']!), '0800000000');
  });

  it('a card AAC is declined offline by the card', async () => {
    const { outcome, authorizer } = await tap({ flow: 'gpo', cid: 0x00 });
    assert.ok(outcome.kind === 'declined-offline');
    assert.equal(outcome.reason, 'card-declined');
    assert.equal(authorizer.requests.length, 0);
  });

  it('a card without DDA in its AIP: ODA not performed, online', async () => {
    const { outcome } = await tap({ flow: 'gpo', aip: hex`0400` });
    assert.ok(outcome.kind === 'approved');
    assert.deepEqual(outcome.oda, { kind: 'not-performed' });
    assert.ok(hasTvr(outcome.tvr, 'odaNotPerformed'));
  });

  it('selection: a blocked (6283) application is skipped; no other → ERR_DEVICE_NO_APPLICATION', async () => {
    const { outcome } = await tap({ flow: 'gpo', selectSw: 0x6283 });
    assert.ok(outcome.kind === 'error');
    assert.equal(outcome.error.code, 'ERR_DEVICE_NO_APPLICATION');
  });

  it('selection: the highest priority supported application is tried first, unsupported ones never', async () => {
    const entry = (aid: Uint8Array, p: number) => tlv(0x61, [tlv(0x4f, aid), tlv(0x87, Uint8Array.of(p))]);
    const ppse = [entry(hex`A0000000999999`, 1), entry(hex`A0000000041010`, 2), entry(AID, 1)];
    const card = new MockCard(await cardSpec(pki, 'gpo', { ppse }));
    const outcome = await terminal(new RecordingAuthorizer()).transact(card, TX);
    assert.equal(outcome.kind, 'approved');
    const selects = card.commands.filter((c) => c[1] === 0xa4).map((c) => toHex(c.subarray(5, 5 + c[4]!)));
    assert.deepEqual(selects.slice(1), [toHex(AID)]);
  });

  it('an authorizer that throws or answers garbage ends in ERR_DEVICE_AUTHORIZER', async () => {
    for (const authorizer of [{ authorize: () => Promise.reject(new Error('down')) }, { authorize: () => Promise.resolve({ decision: 'maybe' }) }] as Authorizer[]) {
      const card = new MockCard(await cardSpec(pki, 'gpo'));
      const outcome = await terminal(authorizer).transact(card, TX);
      assert.ok(outcome.kind === 'error');
      assert.equal(outcome.error.code, 'ERR_DEVICE_AUTHORIZER');
    }
  });

  it('bad options and transactions are refused with ERR_DEVICE_PARAM; no error message holds the PAN', async () => {
    assert.throws(() => new PosTerminal({ caKeys: [], supportedAids: [hex`A0`], authorizer: new RecordingAuthorizer() }), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    assert.throws(() => terminal(new RecordingAuthorizer(), { caKeys: [{ ...pki.caKey, rid: hex`A0` }] }), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    const card = new MockCard(await cardSpec(pki, 'gpo'));
    for (const random of [() => new Uint8Array(3), () => { throw new Error('no entropy'); }]) {
      await assert.rejects(terminal(new RecordingAuthorizer(), { random }).transact(card, TX), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    }
    const t = terminal(new RecordingAuthorizer());
    for (const bad of [{ ...TX, date: '261340' }, { ...TX, amount: -1 }, { ...TX, currency: 1000 }, { ...TX, amount: 1.5 }]) {
      await assert.rejects(t.transact(card, bad), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM' && !e.message.includes(PAN));
    }
  });
});
