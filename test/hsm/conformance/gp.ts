/**
 * Conformance: the GlobalPlatform host interfaces end to end against the virtual Secure Element
 * (test/se/helpers.ts): the HSM's Scp03HostKeys / Scp02HostKeys open a channel with gp/'s host
 * session, and PUT KEY built with `buildPutKeyWith(…, hsm.wrapKeyForCard)` installs per-SE keys the
 * HSM diversified, which then open a channel of their own. The card never meets the HSM: only APDUs.
 * A backend that declares 'aes192-put-key' or 'scp02-put-key' unsupported must refuse that
 * `wrapKeyForCard` with ERR_HSM_UNSUPPORTED (the channel is still opened with its host keys).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, toHex } from '../../../src/bytes/index.ts';
import { SW, encodeCommand, parseResponse } from '../../../src/apdu/index.ts';
import {
  GET_DATA_TAGS,
  buildGetData,
  buildPutKeyWith,
  buildSelect,
  openScp02,
  openScp03,
  parseInitializeUpdateResponse,
  type SecureChannelSession,
} from '../../../src/gp/index.ts';
import { LEGACY_UICC, MemoryCardStore, STRICT_ESE } from '../../../src/se/index.ts';
import type { KeyHandle } from '../../../src/hsm/index.ts';
import { CardPortTransport, ISD_KEYS, testCard, testCardState } from '../../se/helpers.ts';
import { SPECS, declaresUnsupported, importClear, rejectsWith, withHsm, type HsmSetup, type HsmUnderTest } from './fixture.ts';

const KDD = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
const MASTER = { enc: 0x11, mac: 0x22, dek: 0x33 };

async function select(transport: CardPortTransport, aid: Uint8Array): Promise<void> {
  const r = parseResponse(await transport.transmit(encodeCommand(buildSelect(aid))));
  assert.equal(r.sw, SW.OK);
}

/** ISD keys of an AES-256 test card. */
const AES256_ISD = {
  kvn: 0x30,
  enc: Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i),
  mac: Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
  dek: Uint8Array.from({ length: 32 }, (_, i) => 0xc0 + (i % 0x3f)),
};

async function isdSet(t: HsmUnderTest, algorithm: 'A' | 'T', isdKeys: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } = ISD_KEYS) {
  const spec = (s: typeof SPECS.gpEnc | typeof SPECS.gpMac | typeof SPECS.gpDek) => ({ ...s, algorithm });
  const enc = await importClear(t, spec(SPECS.gpEnc), isdKeys.enc);
  const mac = await importClear(t, spec(SPECS.gpMac), isdKeys.mac);
  const dek = await importClear(t, spec(SPECS.gpDek), isdKeys.dek);
  return { enc: enc.id, mac: mac.id, dek: dek.id };
}

async function getKeyInformation(session: SecureChannelSession): Promise<void> {
  const r = await session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
  assert.equal(r.sw, SW.OK);
}

/** Batch masters (B3) and the per-SE keys diversified from them. */
async function perSeKeys(t: HsmUnderTest, length: 16 | 24 | 32, method: 'kdf3' | 'emv'): Promise<{ enc: KeyHandle; mac: KeyHandle; dek: KeyHandle }> {
  const algorithm = method === 'kdf3' ? 'A' : 'T';
  const master = async (seed: number) => (await importClear(t, { ...SPECS.gpMaster, algorithm }, Uint8Array.from({ length }, (_, i) => (seed + 3 * i) & 0xff))).id;
  const masters = { enc: await master(MASTER.enc), mac: await master(MASTER.mac), dek: await master(MASTER.dek) };
  return t.hsm.diversifyGpKeys(masters, KDD, method, { owner: t.ctx.tenant }, t.ctx);
}

export function gpTests(setup: HsmSetup): void {
  for (const length of [16, 24, 32] as const) {
    it(`SCP03: opens the ISD with HSM keys, PUT KEY of diversified AES-${length * 8} keys, reopens with them`, () =>
      withHsm(setup, async (t) => {
        // a key never travels under a weaker DEK: longer keys go to a card whose ISD keys are AES-256
        const isdKeys = length === 16 ? ISD_KEYS : AES256_ISD;
        const card = testCard({ store: new MemoryCardStore(testCardState(STRICT_ESE, isdKeys)) });
        const transport = new CardPortTransport(card);
        const isd = card.state.isdAid;
        await select(transport, isd);
        const set = await isdSet(t, 'A', isdKeys);
        const keys = await t.hsm.scp03HostKeys(set, isdKeys.kvn, t.ctx);
        assert.doesNotMatch(String(keys), new RegExp(toHex(isdKeys.enc)));
        const session = await openScp03(transport, keys, { securityLevel: 0x33, sdAid: isd });
        await getKeyInformation(session);

        const next = await perSeKeys(t, length, 'kdf3');
        assert.deepEqual([next.enc.attributes.label, next.mac.attributes.label, next.dek.attributes.label], ['GP-ENC', 'GP-MAC', 'GP-DEK']);
        if (length === 24 && declaresUnsupported(t, 'aes192-put-key')) {
          for (const id of [next.enc.id, next.mac.id, next.dek.id]) await rejectsWith(t.hsm.wrapKeyForCard(id, set.dek, { scp: 3 }, t.ctx), 'ERR_HSM_UNSUPPORTED');
          session.close();
          return;
        }
        const wrapped: Uint8Array[] = [];
        const put = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x31, firstKeyId: 1 }, [next.enc.id, next.mac.id, next.dek.id], async (id) => {
          const w = await t.hsm.wrapKeyForCard(id, set.dek, { scp: 3 }, t.ctx);
          wrapped.push(w.kcv);
          return w;
        });
        const r = await session.transmit(put);
        assert.equal(r.sw, SW.OK, 'the card accepted PUT KEY (its KCV checks passed)');
        assert.equal(toHex(r.data), toHex(concat(Uint8Array.of(0x31), ...wrapped)));
        session.close();

        await select(transport, isd);
        const perSe = await t.hsm.scp03HostKeys({ enc: next.enc.id, mac: next.mac.id, dek: next.dek.id }, 0x31, t.ctx);
        assert.equal(perSe.keyLength, length);
        const reopened = await openScp03(transport, perSe, { securityLevel: 0x01, sdAid: isd });
        await getKeyInformation(reopened);
        reopened.close();
      }));
  }

  it('refuses to send a key under a weaker DEK (AES-256 under AES-128)', () =>
    withHsm(setup, async (t) => {
      const set = await isdSet(t, 'A', ISD_KEYS);
      const next = await perSeKeys(t, 32, 'kdf3');
      await rejectsWith(t.hsm.wrapKeyForCard(next.enc.id, set.dek, { scp: 3 }, t.ctx), 'ERR_HSM_USAGE');
    }));

  it('SCP02: opens a legacy UICC with HSM keys and installs a key set with the session DEK of its counter', () =>
    withHsm(setup, async (t) => {
      const card = testCard({ profile: LEGACY_UICC });
      const transport = new CardPortTransport(card);
      const isd = card.state.isdAid;
      await select(transport, isd);
      const set = await isdSet(t, 'T');
      const keys = await t.hsm.scp02HostKeys(set, ISD_KEYS.kvn, t.ctx);
      const session = await openScp02(transport, keys, { securityLevel: 0x01, i: LEGACY_UICC.scp.i, sdAid: isd });
      await getKeyInformation(session);
      const update = transport.log.find((e) => e.command[1] === 0x50)!;
      const counter = parseInitializeUpdateResponse(update.response.subarray(0, update.response.length - 2)).sequenceCounter!;
      const next = await perSeKeys(t, 16, 'emv');
      if (declaresUnsupported(t, 'scp02-put-key')) {
        for (const id of [next.enc.id, next.mac.id, next.dek.id]) {
          await rejectsWith(t.hsm.wrapKeyForCard(id, set.dek, { scp: 2, sequenceCounter: counter }, t.ctx), 'ERR_HSM_UNSUPPORTED');
        }
        session.close();
        return;
      }
      const put = await buildPutKeyWith({ replaceKvn: 0, newKvn: 0x21, firstKeyId: 1 }, [next.enc.id, next.mac.id, next.dek.id], (id) =>
        t.hsm.wrapKeyForCard(id, set.dek, { scp: 2, sequenceCounter: counter }, t.ctx),
      );
      assert.equal((await session.transmit(put)).sw, SW.OK);
      session.close();
      await select(transport, isd);
      const perSe = await t.hsm.scp02HostKeys({ enc: next.enc.id, mac: next.mac.id, dek: next.dek.id }, 0x21, t.ctx);
      (await openScp02(transport, perSe, { securityLevel: 0x01, i: LEGACY_UICC.scp.i, sdAid: isd })).close();
    }));

  it('host keys stop working once a key is destroyed, and never open with the wrong keys', () =>
    withHsm(setup, async (t) => {
      const card = testCard();
      const transport = new CardPortTransport(card);
      await select(transport, card.state.isdAid);
      const set = await isdSet(t, 'A');
      const keys = await t.hsm.scp03HostKeys(set, ISD_KEYS.kvn, t.ctx);
      await t.hsm.destroyKey(set.mac, [t.custodians[0]!, t.custodians[1]!], t.ctx);
      await rejectsWith(openScp03(transport, keys, { securityLevel: 0x01 }), 'ERR_HSM_STATE');
      const wrong = await perSeKeys(t, 16, 'kdf3');
      const other = await t.hsm.scp03HostKeys({ enc: wrong.enc.id, mac: wrong.mac.id, dek: wrong.dek.id }, ISD_KEYS.kvn, t.ctx);
      await select(transport, card.state.isdAid);
      await rejectsWith(openScp03(transport, other, { securityLevel: 0x01 }), 'ERR_GP_CARD_CRYPTOGRAM');
    }));
}
