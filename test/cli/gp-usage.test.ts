/**
 * The command line of `opentsm gp`: --help on every verb, and a readable `opentsm: … [CODE]` error
 * for every missing or malformed option — before the card is touched, and never echoing a key.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CardDir, KEY_ARGS, gp } from './gp-helpers.ts';

const VERBS = ['info', 'list', 'install', 'delete', 'lock', 'unlock', 'lock-card', 'unlock-card', 'put-key', 'store-data', 'set-status', 'apdu'];

describe('opentsm gp --help', () => {
  it('lists every verb and the card and key options', async () => {
    const r = await gp(['--help']);
    assert.equal(r.code, 0);
    for (const v of VERBS) assert.match(r.stdout, new RegExp(`^ {2}${v} `, 'm'));
    assert.match(r.stdout, /--reader NAME \| --card FILE/);
    assert.match(r.stdout, /GP_KEY, GP_KEY_ENC, GP_KEY_MAC, GP_KEY_DEK/);
    assert.match(r.stdout, /Do not retry with the same keys/);
  });

  for (const v of VERBS) {
    it(`${v} --help shows its usage and the card options`, async () => {
      const r = await gp([v, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: opentsm gp ${v} `, 'm'));
      assert.match(r.stdout, /--card <file>/);
      assert.match(r.stdout, /-d, --debug/);
    });
  }
});

describe('opentsm gp usage errors', () => {
  const dir = new CardDir();
  const cap = dir.testCap();
  after(() => dir.cleanup());
  const secretKey = '00112233445566778899AABBCCDDEEFF';

  const cases: [string, string[], RegExp][] = [
    ['no card', ['info'], /^opentsm: no card: give --reader NAME \(a PC\/SC reader\) or --card FILE \(a virtual card state file\) \[ERR_CLI_USAGE\]$/m],
    ['both --reader and --card', ['info', '--reader', 'x', '--card', 'y'], /give either --reader NAME \(a PC\/SC reader\) or --card FILE \(a virtual card\), not both \[ERR_CLI_USAGE\]/],
    ['a card file that does not exist', ['info', '--card', '/nonexistent/card.json'], /--card \/nonexistent\/card\.json: no such file \(create a virtual card with `opentsm se create`\) \[ERR_CLI_INPUT\]/],
    ['no keys for a verb that needs the secure channel', ['list', '--card', '@CARD'], /this command needs a secure channel: give the card's keys with --key .* or set GP_KEY .*\[ERR_CLI_USAGE\]/],
    ['an incomplete key set', ['list', '--card', '@CARD', '--key-enc', secretKey], /incomplete key set: no MAC, DEK key .*\[ERR_CLI_USAGE\]/],
    ['a key that is not hex', ['list', '--card', '@CARD', '--key', `${secretKey.slice(0, 30)}ZZ`], /--key: not a hex key \(value withheld\) \[ERR_CLI_USAGE\]/],
    ['a key of the wrong length', ['list', '--card', '@CARD', '--key', secretKey.slice(0, 20)], /--key: a key is 16, 24 or 32 bytes .*got 10 bytes \[ERR_CLI_USAGE\]/],
    ['an unknown --kdf', ['list', '--card', '@CARD', '--key', secretKey, '--kdf', 'visa'], /--kdf visa: expected emv, visa2 or kdf3 \[ERR_CLI_USAGE\]/],
    ['an unknown --scp', ['list', '--card', '@CARD', '--key', secretKey, '--scp', '04'], /--scp 04: expected 02 or 03 \[ERR_CLI_USAGE\]/],
    ['a --kvn out of range', ['list', '--card', '@CARD', '--key', secretKey, '--kvn', '300'], /--kvn: expected a number in 0\.\.255 .*got "300" \[ERR_CLI_USAGE\]/],
    ['an unknown --sl', ['list', '--card', '@CARD', '--key', secretKey, '--sl', 'max'], /--sl max: unknown level "max" \(expected mac, enc, rmac or renc, comma-separated\) \[ERR_CLI_USAGE\]/],
    ['a malformed --sdaid', ['list', '--card', '@CARD', '--key', secretKey, '--sdaid', 'A000'], /--sdaid: an AID is 5 to 16 bytes .*got 2 bytes \[ERR_CLI_USAGE\]/],
    ['an unknown privilege', ['install', '@CAP', '--card', '@CARD', '--key', secretKey, '--privs', 'CardReset,Root'], /--privs: unknown privilege "Root" \(known: SecurityDomain, DAPVerification, .*\) \[ERR_CLI_USAGE\]/],
    ['a file that is not a CAP', ['install', '@CARD', '--card', '@CARD', '--key', secretKey], /\[ERR_GP_CAP\]/],
    ['a DELETE AID that is not an AID', ['delete', '0102', '--card', '@CARD', ...KEY_ARGS], /AID: an AID is 5 to 16 bytes/],
    ['store-data with bad hex', ['store-data', '4202ZZ', '--card', '@CARD', ...KEY_ARGS], /DATA: expected hex digits in pairs .*\[ERR_CLI_USAGE\]/],
    ['a missing argument', ['delete', '--card', '@CARD'], /error: missing required argument 'aid'/],
    ['an unknown option', ['list', '--card', '@CARD', '--bogus'], /error: unknown option '--bogus'/],
  ];
  for (const [name, args, expected] of cases) {
    it(`${name}`, async () => {
      const r = await gp(args.map((a) => (a === '@CARD' ? dir.card : a === '@CAP' ? cap : a)));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, expected);
      assert.ok(!r.stderr.includes(secretKey) && !r.stderr.includes(secretKey.slice(0, 20)), 'key value echoed');
    });
  }

  it('touched the card with none of them (no INITIALIZE UPDATE, no failed authentication)', () => {
    const sd = dir.state().applications[0]!.sd!;
    assert.equal(sd.keySets[0]!.counter, 0);
    assert.equal(sd.authFailures, 0);
  });
});
