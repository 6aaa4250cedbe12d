/**
 * The command line of `opentsm calc`: --help with examples on every verb, the --json shape of every
 * verb, secrets from stdin (pipe and no-echo terminal) and key files, and a readable
 * `opentsm: … [CODE]` error naming the option for bad input — never echoing a key or a PIN.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTty, json, pipeInput, reference, runCli } from './cli-helpers.ts';

const VERBS = ['kcv', 'diversify', 'scp02', 'scp03', 'icc-mk', 'session-key', 'arqc', 'arpc', 'pin-block', 'tr31', 'retail-mac', 'cmac', 'des', 'aes'];
const KEY = '0123456789ABCDEFFEDCBA9876543210';
const GP = '404142434445464748494A4B4C4D4E4F';

describe('opentsm calc --help', () => {
  it('lists every verb and how secrets are given', async () => {
    const r = await runCli(['calc', '--help']);
    assert.equal(r.code, 0);
    for (const v of VERBS) assert.match(r.stdout, new RegExp(`^ {2}${v} `, 'm'));
    assert.match(r.stdout, /accepts - to read it from stdin/);
    assert.match(r.stdout, /lands in the shell\s+history/);
    assert.match(r.stdout, /--key-file FILE/);
  });
  for (const v of VERBS) {
    it(`${v} --help shows its options, --json and an example`, async () => {
      const r = await runCli(['calc', v, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: opentsm calc ${v} `, 'm'));
      assert.match(r.stdout, /--json/);
      assert.match(r.stdout, /-\s+to\s+type\s+it[\s\S]*lands\s+in\s+the\s+shell\s+history/, 'the key option says - and warns of the history');
      assert.match(r.stdout, new RegExp(`^Examples:\\n {2}opentsm calc ${v} `, 'm'));
    });
  }
});

describe('opentsm calc --json shape', () => {
  const cases: [string, string[], string[]][] = [
    ['kcv', ['kcv', '--alg', 'tdes', '--key', KEY], ['algorithm', 'kcv']],
    ['diversify', ['diversify', '--method', 'emv', '--kdd', '00010203040506070809', '--key', GP], ['method', 'kdd', 'kcvAlgorithm', 'enc', 'mac', 'dek']],
    ['scp02', ['scp02', '--key', GP, '--counter', '0001', '--host-challenge', '0102030405060708', '--sd-aid', 'A000000151000000'],
      ['sequenceCounter', 'hostChallenge', 'cardChallenge', 'cardChallengeSource', 'kcvAlgorithm', 'sEnc', 'cMac', 'rMac', 'dek', 'cardCryptogram', 'hostCryptogram']],
    ['scp03', ['scp03', '--key', GP, '--host-challenge', '0102030405060708', '--card-challenge', '0807060504030201'],
      ['hostChallenge', 'cardChallenge', 'cardChallengeSource', 'kcvAlgorithm', 'sEnc', 'sMac', 'sRmac', 'cardCryptogram', 'hostCryptogram']],
    ['icc-mk', ['icc-mk', '--option', 'a', '--key', KEY, '--pan', '1234567890123456'], ['option', 'psn', 'iccMasterKey']],
    ['session-key', ['session-key', '--method', 'common', '--key', KEY, '--atc', '001C'], ['method', 'cipher', 'r', 'sessionKey']],
    ['arqc', ['arqc', '--profile', 'visa-18', '--key-type', 'icc-mk', '--key', KEY, '--data', '00112233', '--atc', '001C', '--arqc', '0000000000000000'],
      ['profile', 'keyType', 'data', 'iccMasterKeyKcv', 'sessionKeyKcv', 'arqc', 'verified']],
    ['arpc', ['arpc', '--method', '1', '--key', KEY, '--arqc', '0011223344556677', '--arc', '3030'], ['method', 'keyKcv', 'arpc', 'tag91']],
    ['pin-block', ['pin-block', 'decode', '--format', '2', '--block', '241234FFFFFFFFFF'], ['format', 'pin']],
    ['tr31', ['tr31', 'unwrap', '--kbpk', 'DD7515F2BFC17F85CE48F3CA25CB21F6', '--block', 'B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E'],
      ['version', 'usage', 'algorithm', 'modeOfUse', 'keyVersion', 'exportability', 'keyContext', 'kcv', 'kbpkKcv']],
    ['retail-mac', ['retail-mac', '--key', KEY, '--data', '00', '--padding', '2'], ['padding', 'length', 'mac']],
    ['cmac', ['cmac', '--key', KEY, '--data', ''], ['cipher', 'length', 'mac']],
    ['des', ['des', 'encrypt', '--mode', 'cbc', '--key', KEY, '--iv', '0000000000000000', '--data', '0000000000000000'], ['mode', 'ciphertext']],
    ['aes', ['aes', 'decrypt', '--mode', 'ecb', '--key', KEY, '--data', KEY], ['mode', 'plaintext']],
  ];
  for (const [name, args, keys] of cases) {
    it(`${name}: ${keys.join(', ')}`, async () => {
      const r = await runCli(['calc', ...args, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.keys(json(r)), keys);
      assert.equal(r.stderr, '');
    });
  }
  it('a key the user asked for is {key, kcv}; the text form labels the same values', async () => {
    const args = ['calc', 'diversify', '--method', 'emv', '--kdd', '00010203040506070809', '--key', GP];
    const j = json(await runCli([...args, '--json']));
    assert.deepEqual(j.enc, { key: '0EF59FCBF8019B62E62AF6EA20B8BF25', kcv: 'C33013' });
    const text = (await runCli(args)).stdout;
    assert.match(text, /^ENC key {8}0EF59FCBF8019B62E62AF6EA20B8BF25$/m);
    assert.match(text, /^ENC KCV {8}C33013$/m);
  });
});

describe('opentsm calc secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-calc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--key - reads the next line of a pipe, without a prompt', async () => {
    const r = await runCli(['calc', 'kcv', '--alg', 'tdes', '--key', '-', '--json'], pipeInput([KEY]));
    assert.equal(json(r).kcv, '08D7B4');
    assert.equal(r.stderr, '');
  });

  it('--key - at a terminal: a prompt on stderr, raw mode on then off, nothing echoed; backspace edits', async () => {
    const tty = new FakeTty().type(`${KEY.slice(0, 10)}X\x7f${KEY.slice(10)}\r`);
    const r = await runCli(['calc', 'kcv', '--alg', 'tdes', '--key', '-'], tty);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KCV {8}08D7B4$/m);
    assert.equal(r.stderr, '--key: \n');
    assert.deepEqual(tty.rawModes.slice(0, 2), [true, false]);
    assert.equal(tty.rawModes.at(-1), false);
  });

  it('Ctrl-C at the prompt cancels', async () => {
    const r = await runCli(['calc', 'kcv', '--alg', 'tdes', '--key', '-'], new FakeTty().type('0123\x03'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /opentsm: --key: cancelled \[ERR_CLI_INPUT\]/);
  });

  it('two secrets from one pipe, in the order the verb reads them (tr31 wrap: --kbpk, then --key)', async () => {
    const kbpk = '88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6';
    const r = await runCli(
      ['calc', 'tr31', 'wrap', '--block-version', 'D', '--usage', 'P0', '--algorithm', 'A', '--mode', 'E', '--exportability', 'E', '--kbpk', '-', '--key', '-', '--json'],
      pipeInput([kbpk, '3F419E1CB7079442AA37474C2EFBF8B8']),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json(r).kcv, '08793E');
    assert.equal(json(r).kbpkKcv, '233155');
  });

  it('--pan - is read first, then --key -: the published ICC master key (pyemv test_visa_cvn10/2)', async () => {
    const r = await runCli(['calc', 'icc-mk', '--option', 'a', '--key', '-', '--pan', '-', '--psn', '00', '--json'], pipeInput(['1234567890123456', KEY]));
    assert.equal(r.code, 0, r.stderr);
    const icc = '154F349D8585CB7F6B0798E9839B10C1';
    assert.deepEqual(json(r).iccMasterKey, { key: icc, kcv: reference.tdesKcv(Buffer.from(icc, 'hex')) });
    const tty = new FakeTty().type('5555555551234567\r1234\r');
    const p = await runCli(['calc', 'pin-block', 'encode', '--format', '0', '--pin', '-', '--pan', '-', '--json'], tty);
    assert.equal(json(p).pinBlock, '041261AAAAEDCBA9');
    assert.equal(p.stderr, '--pan: \n--pin: \n', 'prompts only: the PAN and the PIN are not echoed');
  });

  it('--pin - for pin-block encode', async () => {
    const r = await runCli(['calc', 'pin-block', 'encode', '--format', '0', '--pin', '-', '--pan', '5555555551234567', '--json'], pipeInput(['1234']));
    assert.equal(json(r).pinBlock, '041261AAAAEDCBA9');
  });

  it('--key-file: one key, or three lines (ENC, MAC, DEK) with roles and comments', async () => {
    const one = join(dir, 'one.hex');
    writeFileSync(one, `# the test key\n${KEY}\n`);
    assert.equal(json(await runCli(['calc', 'kcv', '--alg', 'tdes', '--key-file', one, '--json'])).kcv, '08D7B4');
    const three = join(dir, 'three.hex');
    writeFileSync(three, `enc: 100102030405060708090A0B0C0D0E0F\nmac = 101102030405060708090A0B0C0D0E0F\n102102030405060708090A0B0C0D0E0F\n`);
    const r = json(await runCli(['calc', 'scp02', '--key-file', three, '--counter', '0001', '--host-challenge', '40A62C37FA6304F8', '--card-challenge', '6B4524ABEE7C', '--json']));
    assert.equal(r.cardCryptogram, 'F32EA3838BC148F3'); // pysim-scp02-kvn20
    assert.equal(json(await runCli(['calc', 'kcv', '--alg', 'tdes', '--key-file', '-', '--json'], pipeInput([KEY]))).kcv, '08D7B4');
  });

  it('tr31 unwrap prints the clear key only with --show-key', async () => {
    const args = ['calc', 'tr31', 'unwrap', '--kbpk', 'DD7515F2BFC17F85CE48F3CA25CB21F6', '--block', 'B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E'];
    const hidden = await runCli(args);
    assert.ok(!hidden.stdout.includes('3F419E1CB7079442AA37474C2EFBF8B8'));
    assert.match(hidden.stdout, /^KCV {12}57C409$/m);
    assert.match((await runCli([...args, '--show-key'])).stdout, /^key {12}3F419E1CB7079442AA37474C2EFBF8B8$/m);
  });
});

describe('opentsm calc usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-calc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const secret = 'C0FFEE0123456789ABCDEF0123456789';
  const threeLines = join(dir, 'two.hex');
  writeFileSync(threeLines, `${secret}\n${secret}\n`);

  const cases: [string, string[], RegExp][] = [
    ['a missing --alg', ['kcv', '--key', secret], /^opentsm: --alg: required \(tdes, aes-cmac, aes-ones or aes-zeros\) \[ERR_CLI_USAGE\]$/m],
    ['an unknown --alg', ['kcv', '--alg', 'md5', '--key', secret], /--alg md5: expected tdes, aes-cmac, aes-ones or aes-zeros \[ERR_CLI_USAGE\]/],
    ['a key that is not hex', ['kcv', '--alg', 'tdes', '--key', `${secret.slice(0, 30)}ZZ`], /^opentsm: --key: not hex \(value withheld\) \[ERR_CLI_USAGE\]$/m],
    ['a key of the wrong length', ['kcv', '--alg', 'aes-cmac', '--key', secret.slice(0, 20)], /--key: expected 16, 24 or 32 bytes \(32, 48 or 64 hex digits\), got 10 bytes \[ERR_CLI_USAGE\]/],
    ['no key at all', ['kcv', '--alg', 'tdes'], /--key: required \(the key to check; or --key-file FILE, or --key - to type it\) \[ERR_CLI_USAGE\]/],
    ['--key and --key-file', ['kcv', '--alg', 'tdes', '--key', secret, '--key-file', threeLines], /give --key or --key-file, not both \[ERR_CLI_USAGE\]/],
    ['a key file with two lines for one key', ['kcv', '--alg', 'tdes', '--key-file', threeLines], /--key-file: expected one key, the file holds 2 lines \[ERR_CLI_USAGE\]/],
    ['a key file that does not exist', ['kcv', '--alg', 'tdes', '--key-file', join(dir, 'nope.hex')], /--key-file: cannot read .*nope\.hex \(ENOENT\) \[ERR_CLI_INPUT\]/],
    ['a key set with two lines', ['diversify', '--method', 'emv', '--kdd', '00010203040506070809', '--key-file', threeLines], /--key-file: expected one key \(for ENC, MAC and DEK\) or three lines .*the file holds 2 \[ERR_CLI_USAGE\]/],
    ['an incomplete key set', ['diversify', '--method', 'emv', '--kdd', '00010203040506070809', '--key-enc', secret], /no MAC key: give --key .*\[ERR_CLI_USAGE\]/],
    ['a short KDD', ['diversify', '--method', 'emv', '--kdd', '0001', '--key', secret], /--kdd: expected 10 bytes \(20 hex digits\), got 2 bytes \[ERR_CLI_USAGE\]/],
    ['an AES master key for emv', ['diversify', '--method', 'emv', '--kdd', '00010203040506070809', '--key', `${secret}00112233445566778899AABBCCDDEEFF`], /--key: expected 16 bytes \(32 hex digits\), got 32 bytes/],
    ['scp02 without a card challenge', ['scp02', '--key', secret, '--counter', '0001', '--host-challenge', '0102030405060708'], /give --card-challenge .* or --sd-aid AID .*\[ERR_CLI_USAGE\]/],
    ['scp02 counter of 3 bytes', ['scp02', '--key', secret, '--counter', '000001', '--host-challenge', '0102030405060708', '--card-challenge', '010203040506'], /--counter: expected 2 bytes \(4 hex digits\), got 3 bytes/],
    ['scp03 S16 host challenge with an S8 card challenge', ['scp03', '--key', secret, '--host-challenge', '00'.repeat(16), '--card-challenge', '00'.repeat(8)], /--card-challenge: expected 16 bytes/],
    ['a PAN that is not digits', ['icc-mk', '--option', 'a', '--key', secret, '--pan', '4111-1111'], /^opentsm: --pan: expected 8 to 19 decimal digits \(value withheld\) \[ERR_CLI_USAGE\]$/m],
    ['an unknown option letter', ['icc-mk', '--option', 'c', '--key', secret, '--pan', '1234567890123456'], /--option c: expected A or B/],
    ['session-key without R', ['session-key', '--method', 'common', '--key', secret], /the common session key needs one of --r .*--atc .*--arqc/],
    ['emv2000 with a tree too small', ['session-key', '--method', 'emv2000', '--key', secret, '--atc', '0001', '--branch-factor', '2', '--height', '8'], /--branch-factor\/--height: .*\[ERR_EMV_PARAM\]/],
    ['arqc with an unknown profile', ['arqc', '--profile', 'amex-1', '--key', secret, '--data', '00'], /--profile amex-1: expected visa-10, visa-18, .*interac-133/],
    ['arqc with a missing element', ['arqc', '--profile', 'visa-10', '--key', secret, '--pan', '1234567890123456', '--element', '9F02=000000001000'], /--element: 9F03, .*CVR missing \(visa-10 takes 9F02, 9F03/],
    ['arqc with an element of the wrong length', ['arqc', '--profile', 'visa-10', '--key', secret, '--element', '9F36=01'], /--element 9F36: expected 2 bytes \(4 hex digits\)/],
    ['arqc with an element the profile does not take', ['arqc', '--profile', 'visa-10', '--key', secret, '--element', '9F10=00'], /--element 9F10: not a data element of visa-10/],
    ['arqc without the ATC its session key needs', ['arqc', '--profile', 'visa-18', '--key-type', 'icc-mk', '--key', secret, '--data', '00'], /--atc: required \(the ATC, 9F36, 2 bytes\)/],
    ['arpc with both --method and --profile', ['arpc', '--method', '1', '--profile', 'visa-10', '--key', secret, '--arqc', '00'.repeat(8)], /give --method 1\|2 .* not both/],
    ['arpc method 1 without ARC', ['arpc', '--method', '1', '--key', secret, '--arqc', '00'.repeat(8)], /--arc: required/],
    ['a PIN that is not digits', ['pin-block', 'encode', '--format', '0', '--pin', '12ab', '--pan', '5555555551234567'], /^opentsm: --pin: expected 4 to 12 decimal digits \(value withheld\) \[ERR_CLI_USAGE\]$/m],
    ['a PAN for format 2', ['pin-block', 'encode', '--format', '2', '--pin', '1234', '--pan', '5555555551234567'], /--pan: format 2 binds no PAN/],
    ['format 4 without a key', ['pin-block', 'encode', '--format', '4', '--pin', '1234', '--pan', '1234'], /--key: required \(the AES PIN encryption key/],
    ['a PIN block that does not decode', ['pin-block', 'decode', '--format', '0', '--block', '141261AAAAEDCBA9', '--pan', '5555555551234567'], /--block: .*\[ERR_EMV_PIN_BLOCK\]/],
    ['an unknown pin-block action', ['pin-block', 'scramble', '--format', '0'], /value 'scramble' is invalid for argument 'action'\. Allowed choices are encode, decode/],
    ['a key block that does not authenticate', ['tr31', 'unwrap', '--kbpk', secret, '--block', 'B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E'], /^opentsm: --block: .*\[ERR_CRYPTO_KEY_BLOCK_AUTH\]$/m],
    ['tr31 wrap with --show-key', ['tr31', 'wrap', '--show-key'], /--show-key goes with unwrap/],
    ['tr31 wrap with an unknown usage', ['tr31', 'wrap', '--block-version', 'D', '--usage', 'Q9'], /--usage Q9: expected B0, B1, /],
    ['tr31 wrap A', ['tr31', 'wrap', '--block-version', 'A'], /--block-version A: expected B or D/],
    ['a stronger key under a weaker KBPK', ['tr31', 'wrap', '--block-version', 'D', '--usage', 'K0', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E', '--kbpk', secret, '--key', secret + secret], /tr31 wrap: .*weaker 16-byte KBPK \[ERR_CRYPTO_KEY_BLOCK\]/],
    ['retail-mac without padding', ['retail-mac', '--key', secret, '--data', '00'], /--padding: required \(1, 2 or 3\)/],
    ['retail-mac length 9', ['retail-mac', '--key', secret, '--data', '00', '--padding', '1', '--length', '9'], /--length: expected a number from 4 to 8, got "9"/],
    ['cmac data that is not hex', ['cmac', '--key', secret, '--data', '0g'], /--data: expected hex digits in pairs/],
    ['CBC without an IV', ['aes', 'encrypt', '--mode', 'cbc', '--key', secret, '--data', '00'.repeat(16)], /--iv: required \(the IV, 16 bytes \(explicit: no default IV\)\)/],
    ['ECB with an IV', ['des', 'encrypt', '--mode', 'ecb', '--key', secret, '--data', '00'.repeat(8), '--iv', '00'.repeat(8)], /--iv: ECB takes no IV/],
    ['data that is not block-aligned', ['des', 'decrypt', '--mode', 'ecb', '--key', secret, '--data', '00'.repeat(7)], /--data: expected a non-empty multiple of 8 bytes \(no padding is added\), got 7 bytes/],
    ['- with nothing on stdin', ['kcv', '--alg', 'tdes', '--key', '-'], /--key: the input ended before it was given \[ERR_CLI_INPUT\]/],
    ['a key with an odd number of hex digits', ['kcv', '--alg', 'tdes', '--key', secret.slice(0, 31)], /^opentsm: --key: not hex \(value withheld\) \[ERR_CLI_USAGE\]$/m],
    ['an empty key', ['cmac', '--key', '', '--data', '00'], /--key: expected 16, 24 or 32 bytes \(32, 48 or 64 hex digits\), got 0 bytes/],
    ['data with an odd number of hex digits', ['cmac', '--key', secret, '--data', '000'], /^opentsm: --data: expected hex digits in pairs .*\[ERR_CLI_USAGE\]$/m],
    ['a KDD with an odd number of hex digits', ['diversify', '--method', 'kdf3', '--kdd', '000102030405060708090', '--key', secret], /--kdd: expected hex digits in pairs/],
    ['an SCP03 key of 20 bytes', ['scp03', '--key', `${secret}00112233`, '--host-challenge', '00'.repeat(8), '--card-challenge', '00'.repeat(8)], /--key: expected 16, 24 or 32 bytes .*got 20 bytes/],
    ['an element with an odd number of hex digits', ['arqc', '--profile', 'visa-10', '--key', secret, '--element', '9F02=00000000100'], /--element 9F02: expected 6 bytes \(12 hex digits\)/],
    ['an ARQC of 7 bytes', ['arpc', '--method', '1', '--key', secret, '--arqc', '00'.repeat(7), '--arc', '3030'], /--arqc: expected 8 bytes \(16 hex digits\), got 7 bytes/],
    ['a PIN block of 7 bytes', ['pin-block', 'decode', '--format', '0', '--block', '041261AAAAEDCB', '--pan', '5555555551234567'], /--block: expected 8 bytes \(16 hex digits\), got 7 bytes/],
    ['a key block that is not one', ['tr31', 'unwrap', '--kbpk', secret, '--block', 'B00XX'], /^opentsm: --block: .*\[ERR_CRYPTO_KEY_BLOCK\]$/m],
    ['a key block truncated', ['tr31', 'unwrap', '--kbpk', secret, '--block', 'B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C'], /^opentsm: --block: .*\[ERR_CRYPTO_KEY_BLOCK\]$/m],
    ['an AES key for retail-mac', ['retail-mac', '--key', secret + secret, '--data', '00', '--padding', '1'], /--key: expected 16 bytes \(32 hex digits\), got 32 bytes/],
    ['an emv2000 IV of 8 bytes', ['session-key', '--method', 'emv2000', '--key', secret, '--atc', '0001', '--branch-factor', '4', '--height', '8', '--iv', '00'.repeat(8)], /--iv: expected 16 bytes/],
  ];
  for (const [name, args, expected] of cases) {
    it(name, async () => {
      const r = await runCli(['calc', ...args]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, '');
      assert.ok(!r.stderr.includes(secret), 'the key is not echoed');
      assert.ok(!r.stderr.includes('12ab') && !r.stderr.includes('4111-1111'), 'a PIN or PAN is not echoed');
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('opentsm:') || l.startsWith('error:')).length, 1, 'one readable line');
    });
  }
});
