/**
 * The APDU trace's redaction (CONVENTIONS.md §8) as a pure function: which data fields are hidden,
 * and that header, Lc and Le stay readable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '../../src/bytes/index.ts';
import { formatCommand, formatResponse, mustRedact, redacted } from '../../src/cli/gp/redact.ts';

const PLAIN = { commandEncryption: false };
const ENCRYPTING = { commandEncryption: true };
const SECRET = '11223344556677889900AABBCCDDEEFF';

describe('APDU trace redaction', () => {
  it('shows ordinary commands whole, split into header, Lc, data and Le', () => {
    assert.equal(formatCommand(hex`80CA9F7F00`, PLAIN), '80CA9F7F 00');
    assert.equal(formatCommand(hex`00A4040008A00000015100000000`, PLAIN), '00A40400 08 A000000151000000 00');
    assert.equal(formatCommand(hex`80F0400005A000000001`, PLAIN), '80F04000 05 A000000001');
    assert.equal(formatCommand(hex`00A40400`, PLAIN), '00A40400');
  });

  it('hides the data of PUT KEY, STORE DATA and EXTERNAL AUTHENTICATE, plain or secured', () => {
    assert.equal(formatCommand(hex`80D8018110 ${SECRET} 00`, PLAIN), `80D80181 10 ${redacted(16)} 00`);
    assert.equal(formatCommand(hex`84E2800018 ${SECRET} 0102030405060708`, PLAIN), `84E28000 18 ${redacted(24)}`);
    assert.equal(formatCommand(hex`8482010010 ${SECRET}`, PLAIN), `84820100 10 ${redacted(16)}`);
    for (const ins of [0xd8, 0xe2, 0x82]) assert.ok(mustRedact(0x80, ins, PLAIN));
  });

  it('hides every secured command while the channel encrypts command data, and only then', () => {
    const install = hex`84E60C0010 ${SECRET} 00`;
    assert.equal(formatCommand(install, ENCRYPTING), `84E60C00 10 ${redacted(16)} 00`);
    assert.equal(formatCommand(install, PLAIN), `84E60C00 10 ${SECRET} 00`);
    // an unsecured command on an encrypting channel (SELECT, GET RESPONSE) is shown
    assert.equal(formatCommand(hex`00A4040005A000000001`, ENCRYPTING), '00A40400 05 A000000001');
    // further interindustry class with secure messaging (channel 4+, b6 set)
    assert.ok(mustRedact(0xe0, 0xe6, ENCRYPTING));
    assert.ok(!mustRedact(0xc0, 0xe6, ENCRYPTING));
  });

  it('never shows the data of a redacted command that does not parse', () => {
    const broken = hex`80D8018120 ${SECRET}`; // Lc says 32, 16 follow
    const line = formatCommand(broken, PLAIN);
    assert.equal(line, `80D80181 ${redacted(17)}`);
    assert.ok(!line.includes(SECRET));
    assert.equal(formatCommand(hex`80CA9F`, PLAIN), '80CA9F');
    assert.equal(formatCommand(hex`80CA9F7F0000`, PLAIN), '80CA9F7F0000');
  });

  it('writes extended lengths as they go on the wire', () => {
    const data = new Uint8Array(300);
    const apdu = new Uint8Array([0x80, 0xe8, 0x00, 0x00, 0x00, 0x01, 0x2c, ...data, 0x00, 0x00]);
    assert.equal(formatCommand(apdu, PLAIN).split(' ').slice(0, 2).join(' '), '80E80000 00012C');
    assert.ok(formatCommand(apdu, PLAIN).endsWith(' 0000'));
  });

  it('shows responses with the meaning of their status word', () => {
    assert.equal(formatResponse(hex`9000`), '9000 (success)');
    assert.equal(formatResponse(hex`0102 6A88`), '0102 6A88 (referenced data not found)');
    assert.equal(formatResponse(hex`90`), '90 (malformed: no status word)');
  });
});
