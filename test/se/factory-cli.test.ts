/**
 * `opentsm se create`: the files it writes, their modes, the loud warning for a generated KEK, and a
 * written card that a host opens with the unwrapped batch masters.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import { unwrapKeyBlock } from '../../src/crypto/index.ts';
import { buildSelect, openScp03, plainScp03Keys } from '../../src/gp/index.ts';
import { seCreate } from '../../src/cli/commands/se-create.ts';
import { run } from '../../src/cli/index.ts';
import { DEFAULT_APPLET_LIBRARY, FileCardStore, STRICT_UICC, VirtualSecureElement, type KeyFile } from '../../src/se/index.ts';
import { CardPortTransport } from './helpers.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), status: () => {}, interactive: false } };
}

function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-se-create-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const hexIn = (text: string, key: Uint8Array) => text.toUpperCase().includes(toHex(key));

describe('opentsm se create', () => {
  it('writes one 0600 state file per card, keyfile.json and — loudly — a generated KEK; no clear key in the key file', () =>
    withDir(async (dir) => {
      const out = join(dir, 'batch');
      const c = capture();
      seCreate({ profile: 'strict-uicc', count: '60', out, araM: true, iin: '89999' }, c.output);
      const files = readdirSync(out).sort();
      assert.equal(files.filter((f) => f.startsWith('card-')).length, 60);
      assert.ok(files.includes('keyfile.json') && files.includes('transport-kek.hex'));
      for (const f of files) assert.equal(statSync(join(out, f)).mode & 0o777, 0o600, f);
      assert.ok(c.err.some((l) => l.includes('A NEW TRANSPORT KEK WAS GENERATED')), 'loud warning');
      assert.ok(c.err.some((l) => l.includes('manufacturing: 60/60')), 'progress');
      assert.ok(c.out[0]!.startsWith('Manufactured 60 strict-uicc card(s)'));

      const kek = fromHex(readFileSync(join(out, 'transport-kek.hex'), 'utf8').trim());
      const text = readFileSync(join(out, 'keyfile.json'), 'utf8');
      const keyFile = JSON.parse(text) as KeyFile;
      const masters = {
        enc: unwrapKeyBlock(kek, keyFile.isd.masterKeys.enc.keyBlock).key,
        mac: unwrapKeyBlock(kek, keyFile.isd.masterKeys.mac.keyBlock).key,
        dek: unwrapKeyBlock(kek, keyFile.isd.masterKeys.dek.keyBlock).key,
      };
      assert.ok(![kek, masters.enc, masters.mac, masters.dek].some((k) => hexIn(text, k)));
      for (const card of keyFile.cards) {
        const state = new FileCardStore(join(out, card.stateFile)).load();
        const secrets = [...state.applications[0]!.sd!.keySets[0]!.keys.map((k) => k.value), ...state.ota!.scp80.flatMap((s) => [s.kic, s.kid]), state.ota!.scp81!.key];
        for (const s of secrets) assert.ok(!hexIn(text, s), `clear key of ${card.stateFile} in the key file`);
        assert.equal(toHex(unwrapKeyBlock(kek, card.scp81!.psk.keyBlock).key), toHex(state.ota!.scp81!.key));
      }

      // a written card, opened from its file, answers SCP03 under the unwrapped masters + its KDD
      const file = join(out, keyFile.cards[7]!.stateFile);
      const card = new VirtualSecureElement(new FileCardStore(file), { library: DEFAULT_APPLET_LIBRARY });
      const transport = new CardPortTransport(card);
      assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(STRICT_UICC.isdAid)))).sw, SW.OK);
      const session = await openScp03(transport, plainScp03Keys({ keyVersion: 0x30, ...masters, diversification: 'kdf3' }), { securityLevel: 0x01, sdAid: STRICT_UICC.isdAid });
      session.close();
      assert.equal(new FileCardStore(file).load().applications[0]!.sd!.keySets[0]!.counter, 1, 'the card persisted its counter');
    }));

  it('uses --kek-file and --master-keys-file without writing a KEK or warning, and refuses to overwrite a batch', () =>
    withDir((dir) => {
      const kekFile = join(dir, 'kek.hex');
      writeFileSync(kekFile, '00112233445566778899AABBCCDDEEFF\n0123456789ABCDEFFEDCBA9876543210\n');
      const mastersFile = join(dir, 'masters.txt');
      writeFileSync(mastersFile, '# batch 7\nENC: 404142434445464748494A4B4C4D4E4F\nMAC=505152535455565758595A5B5C5D5E5F\n606162636465666768696A6B6C6D6E6F\n');
      const out = join(dir, 'ese');
      const c = capture();
      seCreate({ profile: 'strict-ese', count: '3', out, kekFile, masterKeysFile: mastersFile }, c.output);
      assert.ok(!readdirSync(out).includes('transport-kek.hex'));
      assert.equal(c.err.length, 0);
      const keyFile = JSON.parse(readFileSync(join(out, 'keyfile.json'), 'utf8')) as KeyFile;
      const kek = fromHex('00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210');
      assert.equal(toHex(unwrapKeyBlock(kek, keyFile.isd.masterKeys.mac.keyBlock).key), '505152535455565758595A5B5C5D5E5F');
      assert.throws(() => seCreate({ profile: 'strict-ese', count: '3', out, kekFile }, capture().output), /exists; choose an empty directory or give --force/);
    }));

  it('is registered on the command line and prints readable errors', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      assert.equal(await run(['node', 'opentsm', 'se', 'create', '--profile', 'strict-uicc', '--count', 'x', '--out', join(tmpdir(), 'never')]), 1);
      assert.equal(await run(['node', 'opentsm', 'se', 'create', '--profile', 'strict-ese', '--count', '1', '--out', join(tmpdir(), 'never'), '--kdf', 'emv']), 1);
    } finally {
      console.error = original;
    }
    assert.match(errors[0]!, /--count: a positive whole number \[ERR_CLI_USAGE\]/);
    assert.match(errors[1]!, /emv makes TDES keys; profile strict-ese uses SCP03 \[ERR_SE_CONFIG\]/);
  });
});
