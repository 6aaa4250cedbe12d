/**
 * The `-d` APDU trace of a full session (CONVENTIONS.md §8): every command and response appears,
 * and no key, cryptogram or STORE DATA value does — the output of the whole run is scanned for
 * every known secret.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes/index.ts';
import { ISD_KEYS } from '../se/helpers.ts';
import { CardDir, KEY_ARGS, KEY_ENV, gp, type CliResult } from './gp-helpers.ts';

const NEW = {
  enc: 'A1A2A3A4A5A6A7A8A9AAABACADAEAFA0',
  mac: 'B1B2B3B4B5B6B7B8B9BABBBCBDBEBFB0',
  dek: 'C1C2C3C4C5C6C7C8C9CACBCCCDCECFC0',
};
/** A STORE DATA value that must stay out of the trace: DGI 0101 with 16 recognisable bytes. */
const DGI_VALUE = '5EC2E75EC2E75EC2E75EC2E75EC2E700';
const DGI = `010110${DGI_VALUE}`;
const IIN = '0BADC0FFEE';

function secrets(): string[] {
  return [toHex(ISD_KEYS.enc), toHex(ISD_KEYS.mac), toHex(ISD_KEYS.dek), NEW.enc, NEW.mac, NEW.dek, DGI_VALUE, IIN];
}

function assertNoSecret(r: CliResult): void {
  const all = (r.stdout + r.stderr).replace(/\s/g, '');
  for (const s of secrets()) assert.ok(!all.includes(s), `secret ${s.slice(0, 4)}… leaked`);
}

describe('opentsm gp -d (APDU trace)', () => {
  const dir = new CardDir();
  const runs: CliResult[] = [];
  after(() => dir.cleanup());

  it('traces every command and response of a session on stderr', async () => {
    const r = await gp(['list', '--card', dir.card, ...KEY_ARGS, '-d']);
    runs.push(r);
    assert.equal(r.code, 0, r.stderr);
    const trace = r.stderr.split('\n').filter((l) => l.startsWith('>> ') || l.startsWith('<< '));
    assert.ok(trace.length >= 12, 'SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE and three GET STATUS');
    assert.match(trace[0]!, /^>> 00A40400 00$/);
    assert.match(r.stderr, /^>> 80500000 08 [0-9A-F]{16} 00$/m);
    assert.match(r.stderr, /^>> 84820100 10 <redacted 16 bytes>$/m);
    assert.match(r.stderr, /^>> 84F28002 0A 4F00[0-9A-F]{16} 00$/m);
    assert.match(r.stderr, /^<< E3.* 9000 \(success\) \[\d+ ms\]$/m);
    assert.ok(!r.stdout.includes('>>'), 'the trace stays off stdout');
  });

  it('redacts PUT KEY, STORE DATA and all secured commands of an encrypting channel', async () => {
    const put = await gp(['put-key', '--card', dir.card, '--new-kvn', '0x31', '--replace', '0x30', '-d', '--key-enc', NEW.enc, '--key-mac', NEW.mac, '--key-dek', NEW.dek], KEY_ENV);
    runs.push(put);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stderr, /^>> 84D83081 4E <redacted 78 bytes> 00$/m);
    const newKeys = ['--kvn', '0x31', '--key-enc', NEW.enc, '--key-mac', NEW.mac, '--key-dek', NEW.dek];
    const store = await gp(['store-data', `42${(IIN.length / 2).toString(16).padStart(2, '0')}${IIN}`, '--card', dir.card, '-d', ...newKeys]);
    runs.push(store);
    assert.equal(store.code, 0, store.stderr);
    assert.match(store.stderr, /^>> 84E29000 0F <redacted 15 bytes>$/m);
    const dgi = await gp(['store-data', DGI, '--dgi', '--encrypted', '--card', dir.card, '-d', '--sl', 'enc', ...newKeys]);
    runs.push(dgi);
    // the ISD keeps no DGI 0101: what matters here is what the trace shows of the attempt
    assert.match(dgi.stderr, /^>> 84E2E800 [0-9A-F]{2} <redacted \d+ bytes>/m);
    const list = await gp(['list', '--card', dir.card, '-d', '--sl', 'enc', ...newKeys]);
    runs.push(list);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stderr, /^>> 84F28002 18 <redacted 24 bytes> 00$/m, 'C-DECRYPTION: GET STATUS data hidden too');
    assert.match(list.stderr, /^>> 00A40400 00$/m, 'unsecured commands stay visible');
  });

  it('leaves no key, cryptogram or STORE DATA value anywhere in the output', () => {
    assert.ok(runs.length >= 5);
    for (const r of runs) assertNoSecret(r);
  });
});
