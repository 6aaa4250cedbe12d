/**
 * The wallet against a hostile or broken SE answer: whatever the select response, GET DATA and READ
 * RECORD answers are, cardView ends in a view or a DeviceError (never another throw), and the channel
 * and session are closed. A scripted OMAPI stands in for the service (the wallet's structural
 * interfaces), so every answer can be chosen.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { concat, fromHex } from '../../../src/bytes/index.ts';
import { DeviceError } from '../../../src/device/errors.ts';
import { encodeTlv, tlv } from '../../../src/tlv/index.ts';
import { SigningIdentity } from '../../../src/device/wallet/signing-identity.ts';
import { WalletApp, type CardView, type WalletSeService } from '../../../src/device/wallet/wallet-app.ts';

const ID = SigningIdentity.create({ packageName: 'com.opentsm.test.wallet' });
const AID = fromHex('A0000000031010');
const OK = fromHex('9000');
const GOOD_FCI = encodeTlv(tlv(0x6f, [tlv(0x84, AID), tlv(0xa5, [tlv(0x50, fromHex('41')), tlv(0x87, fromHex('01')), tlv(0xbf0c, [tlv(0x9f4d, fromHex('0B02'))])])]));

/** An OMAPI whose channel answers SELECT with `select` and each command by `answer`; counts closes. */
function scripted(select: Uint8Array, answer: (command: Uint8Array) => Uint8Array): { service: WalletSeService; closed: () => number } {
  let closed = 0;
  const service: WalletSeService = {
    getReaders: () => [{
      getName: () => 'eSE1',
      isSecureElementPresent: () => true,
      openSession: () => ({
        close: () => void closed++,
        openLogicalChannel: () => ({ getSelectResponse: () => select, transmit: (c: Uint8Array) => answer(c), close: () => void closed++ }),
      }),
    }],
  };
  return { service, closed: () => closed };
}

async function view(select: Uint8Array, answer: (command: Uint8Array) => Uint8Array): Promise<CardView | DeviceError> {
  const { service, closed } = scripted(select, answer);
  try {
    return await new WalletApp({ identity: ID, seService: service, paymentAid: AID }).cardView();
  } catch (e) {
    assert.ok(e instanceof DeviceError, `not a DeviceError: ${String(e)}`);
    return e;
  } finally {
    assert.equal(closed(), 2, 'channel and session closed');
  }
}

/** A well-behaved card: ATC 5, log format CID ‖ amount, two records. */
function goodCard(command: Uint8Array): Uint8Array {
  const [ins, p1, p2] = [command[1], command[2], command[3]];
  if (ins === 0xca && p1 === 0x9f && p2 === 0x36) return fromHex('9F3602000590 00'.replace(/ /g, ''));
  if (ins === 0xca && p1 === 0x9f && p2 === 0x4f) return fromHex('9F4F069F27019F02069000');
  if (ins === 0xb2 && p2 === ((11 << 3) | 4) && p1 !== undefined && p1 <= 2) return concat(fromHex(p1 === 1 ? '40000000001234' : '80000000000100'), OK);
  return fromHex('6A83');
}

describe('WalletApp against hostile answers', () => {
  it('a well-behaved scripted card reads as expected (the log stops at the records 9F4D announces)', async () => {
    assert.deepEqual(await view(concat(GOOD_FCI, OK), goodCard), {
      state: 'active', atc: 5, lastTransactions: [{ cryptogram: 'TC', amount: 1234 }, { cryptogram: 'ARQC', amount: 100 }],
    });
  });

  it('malformed answers are typed errors: ATC of the wrong length, another tag, a bad FCI, a log record of the wrong length, a bad status', async () => {
    const cases: [Uint8Array, (c: Uint8Array) => Uint8Array, DeviceError['code']][] = [
      [concat(GOOD_FCI, OK), (c) => (c[1] === 0xca ? fromHex('9F3601059000') : goodCard(c)), 'ERR_DEVICE_CARD_DATA'],
      [concat(GOOD_FCI, OK), (c) => (c[1] === 0xca && c[3] === 0x36 ? fromHex('9F1302000590 00'.replace(/ /g, '')) : goodCard(c)), 'ERR_DEVICE_CARD_DATA'],
      [concat(fromHex('6F05A503BF0C'), OK), goodCard, 'ERR_DEVICE_CARD_DATA'],
      [concat(GOOD_FCI, OK), (c) => (c[1] === 0xb2 ? fromHex('40009000') : goodCard(c)), 'ERR_DEVICE_CARD_DATA'],
      [concat(GOOD_FCI, OK), (c) => (c[1] === 0xca && c[3] === 0x4f ? fromHex('9F4F039F27809000') : goodCard(c)), 'ERR_DEVICE_CARD_DATA'],
      [concat(GOOD_FCI, OK), (c) => (c[1] === 0xb2 ? fromHex('6F00') : goodCard(c)), 'ERR_DEVICE_STATUS'],
      [concat(GOOD_FCI, OK), () => new Uint8Array(0), 'ERR_DEVICE_CARD_DATA'],
    ];
    for (const [select, answer, code] of cases) {
      const out = await view(select, answer);
      assert.ok(out instanceof DeviceError && out.code === code, `${code}: ${out instanceof Error ? out.code : JSON.stringify(out)}`);
    }
  });

  it('random answers (property): a view or a DeviceError, never another throw; the channel and session always closed', async () => {
    for (let i = 0; i < 300; i++) {
      const select = i % 3 === 0 ? concat(GOOD_FCI, OK) : new Uint8Array(randomBytes(i % 40));
      const mutate = i % 2 === 0;
      await view(select, (c) => {
        if (!mutate) return new Uint8Array(randomBytes(Math.floor(Math.random() * 24)));
        const good = goodCard(c);
        const bad = good.slice();
        const at = Math.floor(Math.random() * bad.length);
        if (bad.length > 0) bad[at] = bad[at]! ^ (1 << Math.floor(Math.random() * 8));
        return bad;
      });
    }
  });
});
