/**
 * The enforcer against the real virtual SE's ARA-M, its rules written as the TSM writes them — by the
 * ISD, with INSTALL [for personalization] + STORE DATA (src/tsm/provisioning/card/access-rules.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { concat } from '../../../src/bytes/index.ts';
import { AraEnforcer, ARA_M_AID as DEVICE_ARA_M_AID } from '../../../src/device/index.ts';
import { virtualSeTerminal } from '../../../src/device/terminal.ts';
import { DEFAULT_APPLET_LIBRARY, MemoryCardStore, STRICT_ESE, VirtualSecureElement, manufactureBatch } from '../../../src/se/index.ts';
import type { SecureChannelSession } from '../../../src/gp/index.ts';
import { araCAidFor, deleteAccessRule, ensureAraC, openIsd, openSsd, registerAraC, writeAccessRule } from '../../../src/tsm/provisioning/card/index.ts';
import { ARA_M_AID, FINAL_KVN, SSD_AID, VISA_STYLE_AID, cardWorld, handOver, withIsd, type CardWorld } from '../../tsm/provisioning/card/fixture.ts';
import { app, countingTerminal, sha1, sha256 } from './helpers.ts';

const WALLET = app('wallet');
const OTHER = app('other');

let cw: CardWorld;
before(async () => (cw = await cardWorld(2)));
after(() => cw.close());

describe('AraEnforcer on the virtual SE', () => {
  it('uses the ARA-M AID the card factory installs', () => {
    assert.deepEqual(DEVICE_ARA_M_AID, ARA_M_AID);
  });

  it('follows the rules the ISD writes: none → A for the wallet (Case A for others) → deleted → none', async () => {
    const phone = cw.phones[0]!;
    const terminal = countingTerminal(virtualSeTerminal('eSE1', phone.se));
    const enforcer = new AraEnforcer();
    assert.equal((await enforcer.match(terminal, VISA_STYLE_AID, WALLET)).case, 'none');

    await withIsd(cw, phone, (isd) => writeAccessRule(isd, ARA_M_AID, { aid: VISA_STYLE_AID, certHash: sha256(WALLET.leaf) }));
    const granted = await enforcer.match(terminal, VISA_STYLE_AID, WALLET);
    assert.equal(granted.case, 'A');
    assert.deepEqual({ apdu: granted.decision.apdu, nfc: granted.decision.nfc }, { apdu: 'always', nfc: true });
    const other = await enforcer.match(terminal, VISA_STYLE_AID, OTHER);
    assert.equal(other.case, 'case-A');
    assert.equal(other.decision.apdu, 'never');
    assert.deepEqual(await enforcer.nfcEventAllowed(terminal, VISA_STYLE_AID, [WALLET, OTHER]), [true, false]);
    // the rules changed once since the first read: FF40 read twice, DF20 at every look-up
    assert.equal(terminal.count('CAFF40'), 2);
    assert.equal(terminal.count('CADF20'), 4);

    await withIsd(cw, phone, (isd) => deleteAccessRule(isd, ARA_M_AID, { aid: VISA_STYLE_AID, certHash: sha256(WALLET.leaf) }));
    assert.equal((await enforcer.match(terminal, VISA_STYLE_AID, WALLET)).case, 'none');
    assert.equal(terminal.count('CAFF40'), 3);
  });

  it('reads a paged listing (GET DATA [Next]) and matches a SHA-1 rule on an intermediate certificate', async () => {
    const phone = cw.phones[0]!;
    const aids = Array.from({ length: 8 }, (_, i) => concat(VISA_STYLE_AID.subarray(0, 7), Uint8Array.of(0x40 + i)));
    await withIsd(cw, phone, async (isd) => {
      for (const aid of aids) await writeAccessRule(isd, ARA_M_AID, { aid, certHash: new Uint8Array(randomBytes(32)) });
      await writeAccessRule(isd, ARA_M_AID, { aid: VISA_STYLE_AID, certHash: sha1(WALLET.intermediate) });
    });
    const terminal = countingTerminal(virtualSeTerminal('eSE1', phone.se));
    const enforcer = new AraEnforcer();
    assert.equal((await enforcer.match(terminal, VISA_STYLE_AID, WALLET)).case, 'A');
    assert.ok(terminal.count('CAFF60') >= 1, 'the listing fitted one response: no paging tested');
    assert.equal((await enforcer.match(terminal, aids[0], WALLET)).case, 'case-A');
  });

  it('leaves no logical channel open: many look-ups in a row still get a channel', async () => {
    const terminal = virtualSeTerminal('eSE1', cw.phones[0]!.se);
    const enforcer = new AraEnforcer();
    for (let i = 0; i < 25; i++) await enforcer.decide(terminal, VISA_STYLE_AID, WALLET);
  });

  it('an SE without ARA-M denies everything (ERR_DEVICE_SECURITY: no ARF)', async () => {
    const key = (): Uint8Array => new Uint8Array(randomBytes(16));
    const batch = manufactureBatch({ profile: STRICT_ESE, count: 1, withPayment: false, withAraM: false, batchMasterKeys: { enc: key(), mac: key(), dek: key() }, transportKek: { algorithm: 'aes', key: new Uint8Array(randomBytes(32)) } });
    const se = new VirtualSecureElement(new MemoryCardStore(batch.cards[0]!.state), { library: DEFAULT_APPLET_LIBRARY });
    await assert.rejects(new AraEnforcer().decide(virtualSeTerminal('eSE1', se), VISA_STYLE_AID, WALLET), { code: 'ERR_DEVICE_SECURITY' });
    assert.deepEqual(await new AraEnforcer().nfcEventAllowed(virtualSeTerminal('eSE1', se), VISA_STYLE_AID, [WALLET]), [false]);
  });

  it('sees a rule the SP writes in its ARA-C (aggregated by the ARA-M, refresh tag included)', async () => {
    const phone = cw.phones[1]!;
    const { keys } = await handOver(cw, phone);
    const hsm = cw.world.t.hsm;
    let current: SecureChannelSession | undefined;
    const isd = async (): Promise<SecureChannelSession> => {
      current?.close();
      return (current = await openIsd(hsm, cw.mnoCtx, phone.transport, phone.record));
    };
    const ssd = async (): Promise<SecureChannelSession> => {
      current?.close();
      return (current = await openSsd(hsm, cw.spCtx, phone.transport, { ssdAid: SSD_AID, kvn: FINAL_KVN, keys }));
    };
    const araC = araCAidFor(SSD_AID);
    await ensureAraC({ isd, ssd }, { araCAid: araC, ssdAid: SSD_AID });
    await registerAraC(await isd(), ARA_M_AID, araC);
    const terminal = countingTerminal(virtualSeTerminal('eSE1', phone.se));
    const enforcer = new AraEnforcer();
    assert.equal((await enforcer.match(terminal, VISA_STYLE_AID, WALLET)).case, 'none');
    await writeAccessRule(await ssd(), araC, { aid: VISA_STYLE_AID, certHash: sha256(WALLET.leaf) });
    current?.close();
    assert.equal((await enforcer.match(terminal, VISA_STYLE_AID, WALLET)).case, 'A');
    assert.equal((await enforcer.match(terminal, VISA_STYLE_AID, OTHER)).case, 'case-A');
    assert.equal(terminal.count('CAFF40'), 2);
  });
});
