/**
 * Session (android.se.omapi): opening the basic and logical channels on a real virtual SE — the
 * argument checks, the access decision asked before anything is sent, the null answers, a missing
 * applet, the UICC rules, and the cascade of close.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { DeviceError } from '../../../src/device/index.ts';
import { LEGACY_UICC, STRICT_ESE, STRICT_UICC } from '../../../src/se/index.ts';
import { ARA_M_AID, GET_REFRESH_TAG, PPSE_AID, StubEnforcer, eseWorld, rejectsWith } from './helpers.ts';

const MISSING_AID = fromHex('A0000000FFFFFF01');

describe('Session: argument checks', () => {
  it('an AID of 4 or 17 bytes is ILLEGAL_ARGUMENT; a P2 outside 00/04/08/0C is UNSUPPORTED; nothing is sent', async () => {
    const { reader, terminal, enforcer } = await eseWorld();
    const session = await reader.openSession();
    for (const open of [session.openLogicalChannel.bind(session), session.openBasicChannel.bind(session)]) {
      await rejectsWith(open(new Uint8Array(4)), 'ERR_DEVICE_ILLEGAL_ARGUMENT');
      await rejectsWith(open(new Uint8Array(17)), 'ERR_DEVICE_ILLEGAL_ARGUMENT');
      for (const p2 of [0x01, 0x02, 0x10, 0xff]) await rejectsWith(open(ARA_M_AID, p2), 'ERR_DEVICE_UNSUPPORTED');
      await rejectsWith(open(ARA_M_AID, 0x100), 'ERR_DEVICE_ILLEGAL_ARGUMENT');
    }
    assert.equal(terminal.log.length, 0);
    assert.equal(enforcer.asked.length, 0);
  });

  it('the four P2 values reach the SE in the SELECT', async () => {
    const { reader, terminal } = await eseWorld();
    const session = await reader.openSession();
    for (const p2 of [0x00, 0x04, 0x08, 0x0c]) {
      const channel = await session.openLogicalChannel(ARA_M_AID, p2);
      assert.ok(channel !== null);
      const select = terminal.log.find((e) => e.command[1] === 0xa4 && e.command[3] === p2);
      assert.ok(select !== undefined, `SELECT with P2 ${p2}`);
      await channel.close();
    }
  });

  it('a closed session is ILLEGAL_STATE', async () => {
    const { reader } = await eseWorld();
    const session = await reader.openSession();
    await session.close();
    assert.equal(session.isClosed(), true);
    await rejectsWith(session.openLogicalChannel(ARA_M_AID), 'ERR_DEVICE_ILLEGAL_STATE');
    await rejectsWith(session.openBasicChannel(ARA_M_AID), 'ERR_DEVICE_ILLEGAL_STATE');
    await session.close(); // twice: nothing
  });
});

describe('Session: access control', () => {
  it('asks the enforcer with the terminal, the AID and the app before sending anything', async () => {
    const { reader, terminal, enforcer } = await eseWorld();
    const session = await reader.openSession();
    await session.openLogicalChannel(ARA_M_AID);
    await session.openBasicChannel();
    assert.deepEqual(enforcer.asked, [
      { terminal: 'eSE1', aid: toHex(ARA_M_AID), app: 'com.example.wallet' },
      { terminal: 'eSE1', aid: undefined, app: 'com.example.wallet' },
    ]);
    assert.equal(terminal.log[0]!.command[1], 0x70, 'MANAGE CHANNEL comes after the decision');
  });

  it('APDU access "never" is SECURITY, and nothing is opened or sent', async () => {
    const enforcer = new StubEnforcer();
    enforcer.decisions.set(toHex(ARA_M_AID), 'never');
    const { reader, terminal, se } = await eseWorld({ enforcer });
    const session = await reader.openSession();
    await rejectsWith(session.openLogicalChannel(ARA_M_AID), 'ERR_DEVICE_SECURITY');
    await rejectsWith(session.openBasicChannel(ARA_M_AID), 'ERR_DEVICE_SECURITY');
    assert.equal(terminal.log.length, 0);
    assert.equal(se.selectedOn(1), undefined);
    // another applet is still reachable
    assert.ok((await session.openLogicalChannel(PPSE_AID)) !== null);
  });

  it('an enforcer that fails denies (SECURITY); its own DeviceError passes through', async () => {
    const enforcer = new StubEnforcer();
    const { reader, terminal } = await eseWorld({ enforcer });
    const session = await reader.openSession();
    enforcer.failWith = new TypeError('boom');
    await rejectsWith(session.openLogicalChannel(ARA_M_AID), 'ERR_DEVICE_SECURITY');
    enforcer.failWith = new DeviceError('ERR_DEVICE_TRANSPORT', 'eSE1: unreachable');
    await rejectsWith(session.openLogicalChannel(ARA_M_AID), 'ERR_DEVICE_TRANSPORT');
    assert.equal(terminal.log.length, 0);
  });
});

describe('Session.openLogicalChannel', () => {
  it('MANAGE CHANNEL open on the basic channel, then SELECT on the new channel; the answer is kept', async () => {
    const { reader, terminal, se } = await eseWorld();
    const session = await reader.openSession();
    const channel = (await session.openLogicalChannel(ARA_M_AID))!;
    assert.deepEqual(terminal.commands(), ['0070000001', '01A4040009' + toHex(ARA_M_AID) + '00']);
    assert.equal(channel.isBasicChannel(), false);
    assert.equal(channel.isOpen(), true);
    assert.equal(channel.getSession(), session);
    assert.deepEqual(channel.getSelectResponse(), terminal.log[1]!.response);
    assert.deepEqual(se.selectedOn(1), ARA_M_AID);
  });

  it('SELECT 6A82 is NO_SUCH_ELEMENT and the new channel is closed again', async () => {
    const { reader, terminal, se } = await eseWorld();
    const session = await reader.openSession();
    await assert.rejects(session.openLogicalChannel(MISSING_AID), (e: unknown) => {
      assert.ok(e instanceof DeviceError);
      assert.equal(e.code, 'ERR_DEVICE_NO_SUCH_ELEMENT');
      assert.equal(e.sw, 0x6a82);
      assert.ok(!e.message.includes(toHex(MISSING_AID)), 'no command data in the message');
      return true;
    });
    assert.deepEqual(terminal.commands().at(-1), '01708001');
    assert.equal(se.selectedOn(1), undefined);
    const next = (await session.openLogicalChannel(ARA_M_AID))!;
    assert.deepEqual(terminal.commands().at(-1)!.slice(0, 2), '01', 'channel 1 is free again');
    assert.equal(next.isOpen(), true);
  });

  it('a LOCKED applet is NO_SUCH_ELEMENT: 6A82 on a strict card, 6999 on a legacy UICC', async () => {
    for (const [profile, name, sw] of [[STRICT_ESE, 'eSE1', 0x6a82], [LEGACY_UICC, 'SIM1', 0x6999]] as const) {
      const { reader, se } = await eseWorld({ profile, name, lockedPpse: true });
      const session = await reader.openSession();
      await assert.rejects(session.openLogicalChannel(PPSE_AID), (e: unknown) => e instanceof DeviceError && e.code === 'ERR_DEVICE_NO_SUCH_ELEMENT' && e.sw === sw);
      assert.equal(se.selectedOn(1), undefined, `${name}: the channel was closed again`);
    }
  });

  it('no AID: a channel to the default application, no SELECT sent, no select response', async () => {
    const { reader, terminal } = await eseWorld();
    const session = await reader.openSession();
    const channel = (await session.openLogicalChannel())!;
    assert.deepEqual(terminal.commands(), ['0070000001']);
    assert.equal(channel.getSelectResponse(), null);
    assert.ok((await session.openLogicalChannel(new Uint8Array(0))) !== null, 'an empty AID is no AID');
  });

  it('null when the SE has no free logical channel (MANAGE CHANNEL 6A81)', async () => {
    const { reader } = await eseWorld({ profile: STRICT_UICC, name: 'SIM1' }); // 4 channels: 3 logical
    const session = await reader.openSession();
    const open = [];
    for (let i = 0; i < 3; i++) open.push((await session.openLogicalChannel(ARA_M_AID))!);
    assert.equal(await session.openLogicalChannel(ARA_M_AID), null);
    await open[1]!.close();
    assert.ok((await session.openLogicalChannel(ARA_M_AID)) !== null, 'a closed channel is free again');
  });

  it('on a UICC, no AID answers null (AOSP) without asking the enforcer', async () => {
    const { reader, enforcer, terminal } = await eseWorld({ profile: STRICT_UICC, name: 'SIM1' });
    const session = await reader.openSession();
    assert.equal(await session.openLogicalChannel(), null);
    assert.equal(await session.openLogicalChannel(null, 0x55), null, 'before the P2 check, as AOSP');
    assert.equal(enforcer.asked.length + terminal.log.length, 0);
  });
});

describe('Session.openBasicChannel', () => {
  it('selects the applet on channel 0; a second open is null until the first closes', async () => {
    const { reader, terminal, se } = await eseWorld();
    const a = await reader.openSession();
    const b = await reader.openSession();
    const basic = (await a.openBasicChannel(ARA_M_AID))!;
    assert.deepEqual(terminal.commands(), ['00A4040009' + toHex(ARA_M_AID) + '00']);
    assert.equal(basic.isBasicChannel(), true);
    assert.deepEqual(se.selectedOn(0), ARA_M_AID);
    assert.equal(await b.openBasicChannel(PPSE_AID), null);
    assert.equal(await a.openBasicChannel(PPSE_AID), null);
    const answer = await basic.transmit(GET_REFRESH_TAG);
    assert.equal(toHex(answer.subarray(0, 2)), 'DF20');
    await basic.close();
    assert.equal(terminal.commands().at(-1), '00A4040000', 'the default application is selected again');
    assert.ok((await b.openBasicChannel(PPSE_AID)) !== null);
  });

  it('no AID: the default application, while it is still selected there', async () => {
    const { reader, terminal } = await eseWorld();
    const session = await reader.openSession();
    const basic = (await session.openBasicChannel())!;
    assert.equal(terminal.log.length, 0, 'nothing to select');
    assert.equal(basic.getSelectResponse(), null);
  });

  it('SELECT 6A82 is NO_SUCH_ELEMENT and the basic channel stays free', async () => {
    const { reader } = await eseWorld();
    const session = await reader.openSession();
    await rejectsWith(session.openBasicChannel(MISSING_AID), 'ERR_DEVICE_NO_SUCH_ELEMENT');
    assert.ok((await session.openBasicChannel(ARA_M_AID)) !== null);
  });

  it('on a UICC: null unless the service allows the basic channel', async () => {
    const denied = await eseWorld({ profile: STRICT_UICC, name: 'SIM1' });
    assert.equal(await (await denied.reader.openSession()).openBasicChannel(ARA_M_AID), null);
    assert.equal(denied.terminal.log.length, 0);
    const allowed = await eseWorld({ profile: STRICT_UICC, name: 'SIM1', uiccBasicChannel: true });
    const basic = await (await allowed.reader.openSession()).openBasicChannel(ARA_M_AID);
    assert.ok(basic !== null);
    assert.equal(basic.isBasicChannel(), true);
  });
});

describe('Session close cascade', () => {
  it('closeChannels closes the session’s channels only; close closes the session too', async () => {
    const { reader, se } = await eseWorld();
    const session = await reader.openSession();
    const other = await reader.openSession();
    const a = (await session.openLogicalChannel(ARA_M_AID))!;
    const b = (await session.openBasicChannel(PPSE_AID))!;
    const c = (await other.openLogicalChannel(PPSE_AID))!;
    await session.closeChannels();
    assert.deepEqual([a.isOpen(), b.isOpen(), c.isOpen(), session.isClosed()], [false, false, true, false]);
    await rejectsWith(a.transmit(GET_REFRESH_TAG), 'ERR_DEVICE_ILLEGAL_STATE');
    const d = (await session.openLogicalChannel(ARA_M_AID))!;
    await session.close();
    assert.deepEqual([d.isOpen(), c.isOpen(), session.isClosed()], [false, true, true]);
    assert.equal(se.selectedOn(1), undefined);
    assert.deepEqual(se.selectedOn(2), PPSE_AID);
  });

  it('a session closed while a channel opens: the channel is closed again, ILLEGAL_STATE', async () => {
    const { reader, se } = await eseWorld();
    const session = await reader.openSession();
    const opening = session.openLogicalChannel(ARA_M_AID);
    const closing = session.close();
    await rejectsWith(opening, 'ERR_DEVICE_ILLEGAL_STATE');
    await closing;
    assert.equal(se.selectedOn(1), undefined);
  });
});
