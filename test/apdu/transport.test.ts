import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex, toHex } from '../../src/bytes/index.ts';
import {
  ApduError,
  SW,
  checkSw,
  commandApdu,
  getResponseCla,
  parseCommand,
  responseApdu,
  transmit,
  type ApduTransport,
} from '../../src/apdu/index.ts';

/** A fake card that expects exactly the scripted commands, in order, and answers each one. */
class ScriptedCard implements ApduTransport {
  readonly sent: string[] = [];
  constructor(private readonly script: [command: string, answer: string][]) {}

  transmit(command: Uint8Array): Promise<Uint8Array> {
    const step = this.script[this.sent.length];
    this.sent.push(toHex(command));
    if (step === undefined) return Promise.reject(new Error(`unexpected command ${toHex(command)}`));
    assert.equal(toHex(command), step[0].replace(/\s+/g, ''), `command #${this.sent.length}`);
    return Promise.resolve(fromHex(step[1].replace(/\s+/g, '')));
  }

  done(): void {
    assert.equal(this.sent.length, this.script.length, 'every scripted command was sent');
  }
}

/** A card that answers every command with the same bytes, forever. */
const always = (answer: string): ApduTransport & { count: number } => {
  const card = { count: 0, transmit: () => (card.count++, Promise.resolve(fromHex(answer.replace(/\s+/g, '')))) };
  return card;
};

async function rejectsApdu(p: Promise<unknown>, code: string, sw?: number): Promise<ApduError> {
  let caught: unknown;
  await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => (caught = e),
  );
  assert.ok(caught instanceof ApduError, `expected ApduError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (sw !== undefined) assert.equal(caught.sw, sw);
  return caught;
}

const getCplc = commandApdu({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, ne: 256 });

describe('transmit: T=0 status words on the host side', () => {
  it('returns a plain response as is', async () => {
    const card = new ScriptedCard([['80CA9F7F00', '9F7F02AABB 9000']]);
    const r = await transmit(card, getCplc);
    assert.equal(toHex(r.data), '9F7F02AABB');
    assert.equal(r.sw, SW.OK);
    card.done();
  });

  it('follows a 61xx chain with GET RESPONSE and concatenates the data', async () => {
    const card = new ScriptedCard([
      ['80CA9F7F00', '6110'],
      ['00C0000010', `${'11'.repeat(16)} 6108`],
      ['00C0000008', `${'22'.repeat(8)} 6100`],
      ['00C0000000', `${'33'.repeat(4)} 9000`],
    ]);
    const r = await transmit(card, getCplc);
    assert.equal(toHex(r.data), '11'.repeat(16) + '22'.repeat(8) + '33'.repeat(4));
    assert.equal(r.sw, 0x9000);
    card.done();
  });

  it('keeps the final status word of a chain, even an error', async () => {
    const card = new ScriptedCard([
      ['80CA9F7F00', '6102'],
      ['00C0000002', 'AABB 6A80'],
    ]);
    const r = await transmit(card, getCplc);
    assert.deepEqual(r, responseApdu(hex`AABB`, 0x6a80));
  });

  it('sends GET RESPONSE on the logical channel of the command', async () => {
    const card = new ScriptedCard([
      ['C6F2400002 4F00 00', '6101'],
      ['46C0000001', 'E3 9000'],
    ]);
    const r = await transmit(card, commandApdu({ cla: 0xc6, ins: 0xf2, p1: 0x40, p2: 0x00, data: hex`4F00`, ne: 256 }));
    assert.equal(toHex(r.data), 'E3');
    card.done();
  });

  it('maps every CLA to an interindustry GET RESPONSE CLA on the same channel', () => {
    const table: [number, number][] = [
      [0x00, 0x00], [0x03, 0x03], [0x0c, 0x00], [0x13, 0x03], // first interindustry: SM and chaining bits dropped
      [0x80, 0x00], [0x81, 0x01], [0x84, 0x00], [0x87, 0x03], // GP 80–8F
      [0x40, 0x40], [0x4f, 0x4f], [0x60, 0x40], [0x7a, 0x4a], // further interindustry: channels 4–19
      [0xc0, 0x40], [0xc5, 0x45], [0xe3, 0x43], [0xef, 0x4f], // GP C0–CF, E0–EF
    ];
    for (const [cla, expected] of table) assert.equal(getResponseCla(cla), expected, `CLA ${cla.toString(16)}`);
  });

  it('resends once with the exact Le on 6Cxx', async () => {
    const card = new ScriptedCard([
      ['00B0000000', '6C10'],
      ['00B0000010', `${'44'.repeat(16)} 9000`],
    ]);
    const r = await transmit(card, commandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 256 }));
    assert.equal(r.data.length, 16);
    card.done();
  });

  it('resends with Le = 256 on 6C00, then follows 61xx', async () => {
    const card = new ScriptedCard([
      ['80CA9F7F2A', '6C00'],
      ['80CA9F7F00', '61 05'],
      ['00C0000005', '0102030405 9000'],
    ]);
    const r = await transmit(card, commandApdu({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, ne: 42 }));
    assert.equal(toHex(r.data), '0102030405');
    card.done();
  });

  it('fails on a second 6Cxx', async () => {
    const card = new ScriptedCard([
      ['00B0000000', '6C10'],
      ['00B0000010', '6C08'],
    ]);
    await rejectsApdu(transmit(card, commandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 256 })), 'ERR_APDU_TRANSPORT', 0x6c08);
    card.done();
  });

  it('bounds the number of GET RESPONSE commands', async () => {
    const endless = always('AA 6101');
    await rejectsApdu(transmit(endless, getCplc, { maxGetResponses: 3 }), 'ERR_APDU_TRANSPORT', 0x6101);
    assert.equal(endless.count, 4); // the command and three GET RESPONSEs
    const endlessDefault = always('6100');
    await rejectsApdu(transmit(endlessDefault, getCplc), 'ERR_APDU_TRANSPORT');
    assert.equal(endlessDefault.count, 257);
  });

  it('bounds the total response length', async () => {
    const card = always(`${'55'.repeat(60)} 6100`);
    await rejectsApdu(transmit(card, getCplc, { maxResponseLength: 100 }), 'ERR_APDU_LENGTH');
    assert.equal(card.count, 2);
    const big = always(`${'55'.repeat(256)} 6100`);
    await rejectsApdu(transmit(big, getCplc), 'ERR_APDU_LENGTH');
    assert.equal(big.count, 257);
  });

  it('wraps transport failures and unparsable answers', async () => {
    const broken: ApduTransport = { transmit: () => Promise.reject(new Error('reader removed')) };
    const e = await rejectsApdu(transmit(broken, getCplc), 'ERR_APDU_TRANSPORT');
    assert.ok(e.cause instanceof Error && e.cause.message === 'reader removed');
    const throwsSync: ApduTransport = {
      transmit: () => {
        throw new TypeError('boom');
      },
    };
    await rejectsApdu(transmit(throwsSync, getCplc), 'ERR_APDU_TRANSPORT');
    await rejectsApdu(transmit(always('90'), getCplc), 'ERR_APDU_MALFORMED');
    await rejectsApdu(transmit(always(''), getCplc), 'ERR_APDU_MALFORMED');
    const notBytes = { transmit: () => Promise.resolve('9000') } as unknown as ApduTransport;
    await rejectsApdu(transmit(notBytes, getCplc), 'ERR_APDU_TRANSPORT');
  });

  it('sends exactly the encoded command', async () => {
    const card = always('9000');
    const sent: Uint8Array[] = [];
    await transmit({ transmit: (c) => (sent.push(c), card.transmit(c)) }, getCplc);
    assert.deepEqual(parseCommand(sent[0]!), getCplc);
  });
});

describe('checkSw', () => {
  it('passes 9000 by default and any listed status word', () => {
    const ok = responseApdu(hex`AA`, 0x9000);
    assert.equal(checkSw(ok), ok);
    const more = responseApdu(hex`E3`, 0x6310);
    assert.equal(checkSw(more, SW.OK, SW.MORE_DATA_AVAILABLE), more);
  });

  it('throws ERR_APDU_STATUS with the status word and its description, never the data', () => {
    assert.throws(
      () => checkSw(responseApdu(hex`DEADBEEF`, 0x6a82)),
      (e: unknown) =>
        e instanceof ApduError &&
        e.code === 'ERR_APDU_STATUS' &&
        e.sw === 0x6a82 &&
        e.message.includes('6A82 application/file not found') &&
        !e.message.includes('DEADBEEF'),
    );
    assert.throws(() => checkSw(responseApdu(new Uint8Array(0), 0x9000), SW.MORE_DATA_AVAILABLE), { code: 'ERR_APDU_STATUS', sw: 0x9000 });
  });
});
