/**
 * Secret-leak check (CONVENTIONS.md §8): key holders, session keys and sessions print as KCVs at
 * most; error messages from a run full of failures carry no key or session-key hex.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { toHex } from '../../../src/bytes/index.ts';
import { commandApdu } from '../../../src/apdu/index.ts';
import { kcv } from '../../../src/crypto/index.ts';
import {
  SCP02_DERIVATION,
  SCP03_DERIVATION,
  Scp03CardSession,
  deriveScp02SessionKeys,
  deriveScp03SessionKeys,
  openScp03,
  plainScp02Keys,
  plainScp03Keys,
  scp02SessionKey,
  scp03SessionKey,
} from '../../../src/gp/index.ts';
import { CardTransport, SD_AID, flipBit, scp02Pair, scp03Pair, testKeys } from './helpers.ts';

/** Every hex window of 4 bytes of every secret: a printed fragment of a key is a leak too. */
function fragments(secrets: Uint8Array[]): string[] {
  return secrets.flatMap((s) => Array.from({ length: s.length - 3 }, (_, k) => toHex(s.subarray(k, k + 4))));
}

function assertClean(text: string, secrets: Uint8Array[], what: string): void {
  const upper = text.toUpperCase();
  for (const f of fragments(secrets)) assert.ok(!upper.includes(f), `${what} leaks key bytes ${f}: ${text}`);
}

describe('secrets never print', () => {
  const k3 = testKeys(32, 0x30, 0x11);
  const k2 = testKeys(16, 0x20, 0x22);
  const statics = [k3.enc, k3.mac, k3.dek, k2.enc, k2.mac, k2.dek];

  it('key holders print as KCVs', () => {
    const keys3 = plainScp03Keys(k3);
    const keys2 = plainScp02Keys(k2);
    for (const [obj, method, key] of [[keys3, 'aes-ones', k3.enc], [keys2, 'tdes-zeros', k2.enc]] as const) {
      for (const text of [String(obj), inspect(obj), inspect({ nested: [obj] }, { depth: 5 }), JSON.stringify(obj)]) {
        assertClean(text, statics, 'key holder');
        assert.ok(text.includes(toHex(kcv(key, method))), `prints the ENC KCV: ${text}`);
      }
    }
  });

  it('session keys, host sessions and card sessions print no key bytes', async () => {
    const ctx = { kdd: new Uint8Array(10), keyVersion: 0x30, i: 0x70, hostChallenge: new Uint8Array(8), cardChallenge: new Uint8Array(8).fill(1) };
    const s3 = deriveScp03SessionKeys(k3, ctx);
    const s2 = deriveScp02SessionKeys(k2, 5);
    const c = new Uint8Array(16).fill(1);
    const sessionSecrets = [
      scp03SessionKey(k3.enc, SCP03_DERIVATION.S_ENC, c),
      scp03SessionKey(k3.mac, SCP03_DERIVATION.S_MAC, c),
      scp03SessionKey(k3.mac, SCP03_DERIVATION.S_RMAC, c),
      scp02SessionKey(k2.enc, SCP02_DERIVATION.S_ENC, 5),
      scp02SessionKey(k2.mac, SCP02_DERIVATION.C_MAC, 5),
      scp02SessionKey(k2.dek, SCP02_DERIVATION.DEK, 5),
    ];
    const p3 = await scp03Pair({ securityLevel: 0x33 });
    const p2 = await scp02Pair({ securityLevel: 0x03 });
    const all = [...statics, ...sessionSecrets, testKeys(16, 0x30).enc, testKeys(16, 0x30).mac, testKeys(16, 0x30).dek, testKeys(16, 0x20).mac];
    for (const obj of [s3, s2, p3.host, p2.host, p3.card, p2.card]) {
      for (const text of [String(obj), inspect(obj), JSON.stringify({ obj })]) assertClean(text, all, obj.constructor.name);
    }
    assert.match(String(p3.host), /^Scp03HostSession\(KVN 30, i 70, SL 33, S8, channel 0, open\)$/);
    assert.match(String(p3.card), /^Scp03CardSession\(KVN 30, i 70, counter 6, open, SL 33\)$/);
    s3.close();
    s2.close();
    assert.equal(String(s3), 'Scp03SessionKeys(closed)');
  });

  it('error messages of a run full of failures carry no key hex', async () => {
    const messages: string[] = [];
    const collect = async (f: () => unknown): Promise<void> => {
      try {
        await f();
      } catch (e) {
        messages.push(e instanceof Error ? `${e.name} ${e.message} ${e.cause instanceof Error ? e.cause.message : ''}` : String(e));
      }
    };
    const keys = testKeys(16, 0x30);
    const card = new Scp03CardSession({ keys, sdAid: SD_AID, sequenceCounter: 0, i: 0x70 });
    const transport = new CardTransport(card);
    await collect(() => openScp03(transport, plainScp03Keys({ ...keys, mac: testKeys(16, 0x30, 9).mac }), { securityLevel: 0x33 }));
    await collect(() => plainScp03Keys({ ...keys, enc: keys.enc.subarray(0, 15) }));
    const pair = await scp03Pair({ securityLevel: 0x33 });
    pair.transport.tamperResponse = (b) => flipBit(b, 3);
    await collect(() => pair.host.transmit(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: keys.dek })));
    const pair2 = await scp03Pair({ securityLevel: 0x33 });
    pair2.transport.tamperCommand = (b) => flipBit(b, b.length * 8 - 9);
    await collect(() => pair2.host.transmit(commandApdu({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: keys.dek })));
    await collect(() => pair2.host.encryptSensitive(keys.enc));
    await collect(() => pair.card.decryptSensitive(keys.enc.subarray(0, 5)));
    assert.ok(messages.length >= 5, messages.join('\n'));
    for (const m of messages) assertClean(m, [...statics, keys.enc, keys.mac, keys.dek, testKeys(16, 0x30, 9).mac], 'error message');
  });
});
