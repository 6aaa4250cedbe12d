/**
 * SEService and Reader (android.se.omapi): the asynchronous connection, readers, UICC slots,
 * shutdown and its cascade, an absent SE — over a real virtual SE.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../../src/bytes/index.ts';
import { SEService } from '../../../src/device/index.ts';
import { virtualSeTerminal } from '../../../src/device/terminal.ts';
import { STRICT_UICC } from '../../../src/se/index.ts';
import { ARA_M_AID, GET_REFRESH_TAG, StubEnforcer, WALLET, eseWorld, rejectsWith, seWithApplets } from './helpers.ts';

describe('SEService connection', () => {
  it('is not connected until the next turn; every call before that is ILLEGAL_STATE', async () => {
    let called = 0;
    const service = new SEService({ terminals: [virtualSeTerminal('eSE1', seWithApplets())], enforcer: new StubEnforcer(), app: WALLET, onConnected: () => called++ });
    assert.equal(service.isConnected(), false);
    for (const call of [() => service.getReaders(), () => service.getUiccReader(1), () => service.getVersion()]) {
      assert.throws(call, { code: 'ERR_DEVICE_ILLEGAL_STATE' });
    }
    await service.connected;
    assert.equal(service.isConnected(), true);
    assert.equal(called, 1);
    assert.equal(service.getVersion(), '3.3');
  });

  it('lists every reader in order, present or not, and finds UICC slots', async () => {
    const service = new SEService({
      terminals: [virtualSeTerminal('eSE1', seWithApplets()), virtualSeTerminal('SIM1', seWithApplets(STRICT_UICC), { present: () => false })],
      enforcer: new StubEnforcer(), app: WALLET,
    });
    await service.connected;
    const readers = service.getReaders();
    assert.deepEqual(readers.map((r) => r.getName()), ['eSE1', 'SIM1']);
    assert.deepEqual(readers.map((r) => r.isSecureElementPresent()), [true, false]);
    assert.equal(service.getUiccReader(1), readers[1]);
    assert.equal(readers[0]!.getSEService(), service);
    assert.throws(() => service.getUiccReader(0), { code: 'ERR_DEVICE_ILLEGAL_ARGUMENT' });
    assert.throws(() => service.getUiccReader(2), { code: 'ERR_DEVICE_ILLEGAL_ARGUMENT' });
  });

  it('refuses a bad configuration', () => {
    const terminal = virtualSeTerminal('eSE1', seWithApplets());
    assert.throws(() => new SEService({ terminals: [terminal, terminal], enforcer: new StubEnforcer(), app: WALLET }), { code: 'ERR_DEVICE_PARAM' });
    assert.throws(() => new SEService({ terminals: [terminal], enforcer: {} as StubEnforcer, app: WALLET }), { code: 'ERR_DEVICE_PARAM' });
  });

  it('shut down before connecting: never connects, `connected` rejects', async () => {
    const service = new SEService({ terminals: [], enforcer: new StubEnforcer(), app: WALLET });
    await service.shutdown();
    await rejectsWith(service.connected, 'ERR_DEVICE_ILLEGAL_STATE');
    assert.equal(service.isConnected(), false);
  });
});

describe('Reader', () => {
  it('opens sessions with the ATR; SE absent → TRANSPORT (IOException)', async () => {
    let present = true;
    const { reader, se } = await eseWorld({ present: () => present });
    const session = await reader.openSession();
    assert.deepEqual(session.getATR(), se.atr);
    assert.equal(session.getReader(), reader);
    present = false;
    assert.equal(reader.isSecureElementPresent(), false);
    await rejectsWith(reader.openSession(), 'ERR_DEVICE_TRANSPORT');
    await rejectsWith(session.openLogicalChannel(ARA_M_AID), 'ERR_DEVICE_TRANSPORT');
  });

  it('closeSessions closes every session and its channels', async () => {
    const { reader, se } = await eseWorld();
    const a = await reader.openSession();
    const b = await reader.openSession();
    const ca = (await a.openLogicalChannel(ARA_M_AID))!;
    const cb = (await b.openLogicalChannel(ARA_M_AID))!;
    assert.ok(se.selectedOn(1) !== undefined && se.selectedOn(2) !== undefined);
    await reader.closeSessions();
    assert.deepEqual([a.isClosed(), b.isClosed(), ca.isOpen(), cb.isOpen()], [true, true, false, false]);
    assert.deepEqual([se.selectedOn(1), se.selectedOn(2)], [undefined, undefined], 'the SE closed both logical channels');
  });
});

describe('SEService.shutdown', () => {
  it('closes every session and channel, on the SE too; every later call is ILLEGAL_STATE', async () => {
    const { service, reader, se } = await eseWorld();
    const session = await reader.openSession();
    const logical = (await session.openLogicalChannel(ARA_M_AID))!;
    const basic = (await session.openBasicChannel(ARA_M_AID))!;
    await service.shutdown();
    assert.equal(service.isConnected(), false);
    assert.deepEqual([session.isClosed(), logical.isOpen(), basic.isOpen()], [true, false, false]);
    assert.equal(se.selectedOn(1), undefined);
    assert.throws(() => service.getReaders(), { code: 'ERR_DEVICE_ILLEGAL_STATE' });
    assert.throws(() => reader.isSecureElementPresent(), { code: 'ERR_DEVICE_ILLEGAL_STATE' });
    await rejectsWith(reader.openSession(), 'ERR_DEVICE_ILLEGAL_STATE');
    await rejectsWith(session.openLogicalChannel(ARA_M_AID), 'ERR_DEVICE_ILLEGAL_STATE');
    await rejectsWith(logical.transmit(GET_REFRESH_TAG), 'ERR_DEVICE_ILLEGAL_STATE');
    await rejectsWith(logical.selectNext(), 'ERR_DEVICE_ILLEGAL_STATE');
    assert.throws(() => logical.getSelectResponse(), { code: 'ERR_DEVICE_ILLEGAL_STATE' });
    assert.throws(() => logical.isBasicChannel(), { code: 'ERR_DEVICE_ILLEGAL_STATE' });
    await service.shutdown(); // twice: nothing
    await session.close();
    await logical.close();
  });

  it('a second app’s service on the same SE keeps its channels', async () => {
    const { service, terminal, enforcer } = await eseWorld();
    const other = new SEService({ terminals: [terminal], enforcer, app: { packageName: 'com.example.other', certificates: [] } });
    await other.connected;
    const mine = (await (await service.getReaders()[0]!.openSession()).openLogicalChannel(ARA_M_AID))!;
    const theirs = (await (await other.getReaders()[0]!.openSession()).openLogicalChannel(ARA_M_AID))!;
    await other.shutdown();
    assert.equal(theirs.isOpen(), false);
    assert.equal(mine.isOpen(), true);
    const answer = await mine.transmit(GET_REFRESH_TAG);
    assert.equal(toHex(answer.subarray(0, 2)) + toHex(answer.subarray(-2)), 'DF209000', toHex(answer));
  });
});
