/**
 * The OMAPI gate with the phone's real enforcer (AraEnforcer) over a real ARA-M: the TSM writes the
 * access rule through the ISD (SCP03, STORE DATA to the ARA-M, as a deploy does), and only then can
 * the wallet whose certificate hash the rule names open a channel to the applet; another app, or the
 * wallet before the rule, gets ERR_DEVICE_SECURITY and nothing is opened.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { SW, encodeCommand, parseResponse } from '../../../src/apdu/index.ts';
import { buildSelect, openScp03, plainScp03Keys } from '../../../src/gp/index.ts';
import { AraEnforcer, SEService } from '../../../src/device/index.ts';
import { virtualSeTerminal } from '../../../src/device/terminal.ts';
import { writeAccessRule } from '../../../src/tsm/provisioning/card/index.ts';
import { CardPortTransport, ISD_KEYS } from '../../se/helpers.ts';
import { ARA_M_AID, ISD_AID, PPSE_AID, WALLET, rejectsWith, seWithApplets } from './helpers.ts';

const OTHER = { packageName: 'com.example.other', certificates: [fromHex('3003020102')] };

async function tsmWritesRule(card: ReturnType<typeof seWithApplets>, aid: Uint8Array, certificate: Uint8Array): Promise<void> {
  const transport = new CardPortTransport(card);
  assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD_AID)))).sw, SW.OK);
  const isd = await openScp03(transport, plainScp03Keys({ keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek }), { securityLevel: 0x33, sdAid: ISD_AID });
  const certHash = new Uint8Array(createHash('sha256').update(certificate).digest());
  assert.deepEqual(await writeAccessRule(isd, ARA_M_AID, { aid, certHash }), { written: true });
}

describe('OMAPI × ARA-M enforcer', () => {
  it('the wallet reaches the applet only once the TSM wrote its rule; another app never', async () => {
    const card = seWithApplets();
    const terminal = virtualSeTerminal('eSE1', card);
    const enforcer = new AraEnforcer();
    const wallet = new SEService({ terminals: [terminal], enforcer, app: WALLET });
    const other = new SEService({ terminals: [terminal], enforcer, app: OTHER });
    await Promise.all([wallet.connected, other.connected]);
    const walletSession = await wallet.getReaders()[0]!.openSession();
    const otherSession = await other.getReaders()[0]!.openSession();

    await rejectsWith(walletSession.openLogicalChannel(PPSE_AID), 'ERR_DEVICE_SECURITY');
    assert.equal(card.selectedOn(1), undefined, 'nothing left open after a denial');

    await tsmWritesRule(card, PPSE_AID, WALLET.certificates[0]!);
    const channel = await walletSession.openLogicalChannel(PPSE_AID);
    assert.ok(channel !== null);
    assert.equal(toHex(channel.getSelectResponse()!.subarray(-2)), '9000');
    assert.equal(channel.isOpen(), true);
    await rejectsWith(otherSession.openLogicalChannel(PPSE_AID), 'ERR_DEVICE_SECURITY');
    await rejectsWith(walletSession.openLogicalChannel(ARA_M_AID.slice(0, 8)), 'ERR_DEVICE_SECURITY');

    await wallet.shutdown();
    await other.shutdown();
  });
});
