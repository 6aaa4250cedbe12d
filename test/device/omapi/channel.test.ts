/**
 * Channel (android.se.omapi): transmit on a real virtual SE — the CLA moved onto the channel, the
 * commands refused before the SE sees them, the access rule's APDU filters, 61xx/6Cxx over a T=0
 * link, two channels at once, selectNext and close.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { DeviceError } from '../../../src/device/index.ts';
import { channelOfCla } from '../../../src/device/terminal.ts';
import { ARA_M_AID, GET_REFRESH_TAG, ISD_AID, PPSE_AID, StubEnforcer, eseWorld, rejectsWith } from './helpers.ts';

function sw(response: Uint8Array): string {
  return toHex(response.subarray(-2));
}

describe('Channel.transmit', () => {
  it('sends the command on this channel (the app’s channel bits replaced) and returns data ‖ SW', async () => {
    const { reader, terminal } = await eseWorld();
    const session = await reader.openSession();
    await session.openLogicalChannel(PPSE_AID); // channel 1
    const channel = (await session.openLogicalChannel(ARA_M_AID))!; // channel 2
    const answer = await channel.transmit(fromHex('83CADF2000')); // the app names channel 3: ignored
    assert.equal(terminal.commands().at(-1), '82CADF2000');
    assert.equal(toHex(answer.subarray(0, 2)), 'DF20');
    assert.equal(sw(answer), '9000');
    // an error status word is returned, not thrown, and the channel stays open
    assert.equal(sw(await channel.transmit(fromHex('80CA00FF00'))).slice(0, 2), '6A');
    assert.equal(channel.isOpen(), true);
  });

  it('a channel above 3 gets the further-interindustry class byte', async () => {
    const { reader, terminal } = await eseWorld();
    const session = await reader.openSession();
    const channels = [];
    for (let i = 0; i < 5; i++) channels.push((await session.openLogicalChannel(ARA_M_AID))!);
    const fifth = channels[4]!; // channel 5
    assert.equal(sw(await fifth.transmit(GET_REFRESH_TAG)), '9000');
    assert.equal(terminal.commands().at(-1), 'C1CADF2000');
  });

  it('misuse: closed channel ILLEGAL_STATE; short, malformed, CLA FF, INS 6X/9X ILLEGAL_ARGUMENT — nothing sent', async () => {
    const { reader, terminal } = await eseWorld();
    const channel = (await (await reader.openSession()).openLogicalChannel(ARA_M_AID))!;
    const sent = terminal.log.length;
    for (const bad of ['', '80', '80CADF', '80CADF2003AA', 'FFCADF2000', '8060DF2000', '8090DF2000']) {
      await rejectsWith(channel.transmit(fromHex(bad)), 'ERR_DEVICE_ILLEGAL_ARGUMENT');
    }
    await rejectsWith(channel.transmit('80CADF2000' as unknown as Uint8Array), 'ERR_DEVICE_ILLEGAL_ARGUMENT');
    assert.equal(terminal.log.length, sent);
    await channel.close();
    await rejectsWith(channel.transmit(GET_REFRESH_TAG), 'ERR_DEVICE_ILLEGAL_STATE');
    await rejectsWith(channel.selectNext(), 'ERR_DEVICE_ILLEGAL_STATE');
    await channel.close(); // twice: nothing
  });

  it('MANAGE CHANNEL and SELECT by DF name are SECURITY (AOSP); a proprietary INS 70 and SELECT by FID pass', async () => {
    const { reader, terminal } = await eseWorld();
    const channel = (await (await reader.openSession()).openLogicalChannel(ARA_M_AID))!;
    const sent = terminal.log.length;
    for (const refused of ['0070000001', '01708001', '00A4040007A0000000031010', '00A4040000', '4070000001']) {
      await rejectsWith(channel.transmit(fromHex(refused)), 'ERR_DEVICE_SECURITY');
    }
    assert.equal(terminal.log.length, sent, 'the SE saw none of them');
    await channel.transmit(fromHex('8070000000'));
    await channel.transmit(fromHex('00A40000023F00'));
    assert.deepEqual(terminal.commands().slice(sent), ['8170000000', '01A40000023F00']);
  });

  it('APDU filters from the access decision: commands outside them are SECURITY and never sent', async () => {
    const enforcer = new StubEnforcer();
    // GP SEAC §3.4.1: header AND mask = filter header; here "any CLA, INS CA, P1P2 DF20"
    enforcer.decisions.set(toHex(ARA_M_AID), { filters: [{ header: fromHex('00CADF20'), mask: fromHex('00FFFFFF') }] });
    const { reader, terminal } = await eseWorld({ enforcer });
    const channel = (await (await reader.openSession()).openLogicalChannel(ARA_M_AID))!;
    assert.equal(sw(await channel.transmit(GET_REFRESH_TAG)), '9000');
    const sent = terminal.log.length;
    await rejectsWith(channel.transmit(fromHex('80CAFF4000')), 'ERR_DEVICE_SECURITY');
    assert.equal(terminal.log.length, sent);
  });

  it('61xx is fetched by GET RESPONSE and 6Cxx resent with the right Le, below the app', async () => {
    const { reader, terminal } = await eseWorld({ t0: { wrongLe: true } });
    const session = await reader.openSession();
    const channel = (await session.openLogicalChannel(ARA_M_AID))!;
    assert.equal(sw(channel.getSelectResponse()!), '9000', 'the SELECT answer came in pieces too');
    assert.ok(channel.getSelectResponse()!.length > 6);
    const answer = await channel.transmit(GET_REFRESH_TAG);
    assert.equal(toHex(answer.subarray(0, 2)), 'DF20');
    assert.equal(sw(answer), '9000');
    const tail = terminal.commands().slice(-3);
    assert.equal(tail[0], '81CADF2000');
    assert.match(tail[1]!, /^81CADF20(?!00)[0-9A-F]{2}$/, 'resent with Le = xx');
    assert.match(tail[2]!, /^01C00000/, 'GET RESPONSE (interindustry class) on the same channel');
  });

  it('two channels at once: each command and its GET RESPONSE stay together', async () => {
    const { reader, terminal } = await eseWorld({ t0: {} });
    const session = await reader.openSession();
    const ara = (await session.openLogicalChannel(ARA_M_AID))!;
    const ppse = (await session.openLogicalChannel(PPSE_AID))!;
    const before = terminal.log.length;
    const answers = await Promise.all([
      ara.transmit(GET_REFRESH_TAG), ppse.transmit(fromHex('80CA9F3600')), ara.transmit(GET_REFRESH_TAG), ara.selectNext(),
    ]);
    assert.equal(sw(answers[0]), '9000');
    assert.equal(sw(answers[2]), '9000');
    const log = terminal.log.slice(before);
    log.forEach((entry, i) => {
      if (entry.command[1] === 0xc0) assert.equal(channelOfCla(entry.command[0]!), channelOfCla(log[i - 1]!.command[0]!), 'GET RESPONSE right after its command');
      assert.notEqual(toHex(entry.response), '6985', 'no pending answer was lost');
    });
  });
});

describe('Channel: the SE goes away', () => {
  it('transmit is TRANSPORT naming the reader, not the command; close still closes', async () => {
    let present = true;
    const { reader } = await eseWorld({ present: () => present });
    const session = await reader.openSession();
    const logical = (await session.openLogicalChannel(ARA_M_AID))!;
    const basic = (await session.openBasicChannel(PPSE_AID))!;
    present = false;
    await assert.rejects(logical.transmit(fromHex('80CA00FE02DF20')), (e: unknown) => {
      assert.ok(e instanceof DeviceError);
      assert.equal(e.code, 'ERR_DEVICE_TRANSPORT');
      assert.match(e.message, /eSE1/);
      assert.ok(!e.message.toUpperCase().includes('DF20') && !e.message.toUpperCase().includes('CA00FE'), e.message);
      return true;
    });
    await rejectsWith(logical.selectNext(), 'ERR_DEVICE_TRANSPORT');
    await session.close();
    assert.deepEqual([logical.isOpen(), basic.isOpen(), session.isClosed()], [false, false, true]);
    present = true;
    const again = await reader.openSession();
    assert.equal(await again.openBasicChannel(), null, 'the default application was not selected again on the basic channel');
    assert.ok((await again.openBasicChannel(ARA_M_AID)) !== null);
  });
});

describe('Channel.selectNext', () => {
  it('walks the applets matching a partial AID; false at the end, the last one stays selected', async () => {
    const { reader, se } = await eseWorld();
    const prefix = ISD_AID.subarray(0, 5); // A000000151: the ISD, then the ARA-M
    const channel = (await (await reader.openSession()).openLogicalChannel(prefix))!;
    assert.deepEqual(se.selectedOn(1), ISD_AID);
    const first = channel.getSelectResponse()!;
    assert.equal(await channel.selectNext(), true);
    assert.deepEqual(se.selectedOn(1), ARA_M_AID);
    assert.notDeepEqual(channel.getSelectResponse(), first, 'the select response follows');
    assert.equal(await channel.selectNext(), false);
    assert.deepEqual(se.selectedOn(1), ARA_M_AID);
    assert.equal(sw(await channel.transmit(GET_REFRESH_TAG)), '9000');
  });

  it('keeps the open call’s P2 with the next-occurrence bits; UNSUPPORTED without an AID', async () => {
    const { reader, terminal } = await eseWorld();
    const session = await reader.openSession();
    const channel = (await session.openLogicalChannel(ISD_AID.subarray(0, 5), 0x04))!;
    await channel.selectNext();
    assert.equal(terminal.log.at(-1)!.command[3], 0x06);
    const bare = (await session.openLogicalChannel())!;
    await rejectsWith(bare.selectNext(), 'ERR_DEVICE_UNSUPPORTED');
  });
});
