/**
 * `opentsm calc`: the payment cryptographer's calculator. Hex in, hex out (`--json` for scripts),
 * pure functions of crypto/, gp/ and emv/ only; no HSM, no store. This file is the command-line
 * surface; each verb's work is in src/cli/calc/.
 *
 * What the user asks for is printed (a derived key, a session key, a decoded PIN); everything else
 * about a key prints as its KCV (CONVENTIONS.md §8). Secrets never need to be on the command line:
 * any secret option takes `-` (typed without echo, or a line from a pipe), and `--key-file FILE`.
 */
import { Argument, type Command } from 'commander';
import { calcCipher } from '../calc/cipher.ts';
import { calcArpc, calcArqc, PROFILE_IDS } from '../calc/cryptogram.ts';
import { calcIccMk, calcSessionKey } from '../calc/emv-keys.ts';
import { collect, Secrets, type CalcOptions } from '../calc/input.ts';
import { calcDiversify, calcKcv } from '../calc/keys.ts';
import { calcCmac, calcRetailMac } from '../calc/mac.ts';
import { calcPinBlock } from '../calc/pin-block.ts';
import { printResult, type CalcResult } from '../calc/result.ts';
import { calcScp02, calcScp03 } from '../calc/scp.ts';
import { calcTr31 } from '../calc/tr31.ts';
import { processOutput } from '../gp/output.ts';
import { CVN_PROFILES } from '../../emv/index.ts';

type Work = (options: CalcOptions, secrets: Secrets) => Promise<CalcResult>;

/**
 * Runs a verb: reads its options (and secrets), prints its result, releases stdin. A PAN is
 * cardholder data: `--pan -` reads it from stdin too, before any other `-` value.
 */
async function act(cmd: Command, work: Work): Promise<void> {
  const given = cmd.opts<CalcOptions>();
  const secrets = new Secrets();
  try {
    const options = given.pan === '-' ? { ...given, pan: await secrets.text(given, 'pan') } : given;
    printResult(processOutput(), await work(options, secrets), options.json === true);
  } finally {
    secrets.close();
  }
}

function verb(calc: Command, usage: string, description: string, examples: readonly string[]): Command {
  return calc
    .command(usage)
    .description(description)
    .addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
}

/** `--key` with `-` and `--key-file`. */
function keyOptions(cmd: Command, what: string, name = 'key'): Command {
  return cmd
    .option(`--${name} <hex>`, `${what}; - to type it without echo, or read it from a pipe (a key given here lands in the shell history)`)
    .option(`--${name}-file <file>`, `read --${name} from a file (hex; - for stdin)`);
}

/** The GP key set: `--key` for all three, or one each, or `--key-file` with 1 or 3 lines. */
function keySetOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--key <hex>', `one ${what} for ENC, MAC and DEK (- to type it; a key given here lands in the shell history)`)
    .option('--key-enc <hex>', `the ENC ${what} (- to type it)`)
    .option('--key-mac <hex>', `the MAC ${what} (- to type it)`)
    .option('--key-dek <hex>', `the DEK ${what} (- to type it)`)
    .option('--key-file <file>', 'a file with one key (for all three) or three lines: ENC, MAC, DEK');
}

const PROFILE_HELP = Object.entries(CVN_PROFILES)
  .map(([id, p]) => `  ${id.padEnd(14)} ${p.acData.map((e) => e.id).join(' ')}`)
  .join('\n');

const HELP_AFTER = `
Inputs are hex (spaces and colons allowed) unless a verb says otherwise; PANs and PINs are digits.
A calculator takes secrets, but a key, PIN or PAN typed on the command line lands in the shell
history and in the process list (ps): use test keys there. A secret option (--key, --kbpk, --pin,
--pan, …) accepts - to read it from stdin instead: typed without echo at a terminal, or the next
line of a pipe (--pan first, then the others in the order the verb reads them). --key-file FILE
reads keys from a file. --json prints the result as one JSON object.

Printed: what you asked for (a derived key, a session key, a cryptogram, a decoded PIN); other keys
as key check values (KCVs) only. An unwrapped TR-31 key prints only with --show-key.

Examples:
  opentsm calc kcv --alg tdes --key 0123456789ABCDEFFEDCBA9876543210
  opentsm calc diversify --method emv --kdd 00010203040506070809 --key-file masters.hex
  opentsm calc arqc --profile visa-10 --key - --pan 1234567890123456 --psn 00 --element 9F02=000000004000,…
  opentsm calc tr31 unwrap --kbpk-file kbpk.hex --block B0080P0TE00E0000…
  opentsm calc <verb> --help           every verb's options, with examples`;

/** Registers `opentsm calc` and its verbs. */
export function registerCalc(program: Command): void {
  const calc = program
    .command('calc')
    .description('the payment cryptographer\'s calculator: KCVs, GP diversification and SCP02/SCP03, EMV keys, ARQC/ARPC, PIN blocks, TR-31, MACs, DES/AES')
    .addHelpText('after', HELP_AFTER);

  keyOptions(
    verb(calc, 'kcv', 'key check value: 3DES (X9.24), AES-CMAC (X9.24-1:2017), AES of 01…01 (GlobalPlatform) or of zeros', [
      'opentsm calc kcv --alg tdes --key 0123456789ABCDEFFEDCBA9876543210             # 08D7B4',
      'opentsm calc kcv --alg aes-ones --key 000102030405060708090A0B0C0D0E0F        # C35280 (GP SCP03 PUT KEY)',
      'opentsm calc kcv --alg aes-cmac --key-file key.hex --json',
    ])
      .option('--alg <alg>', 'tdes, aes-cmac, aes-ones or aes-zeros')
      .option('--length <n>', 'KCV length in bytes, 1..8 (default 3)'),
    'the key',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcKcv));

  keySetOptions(
    verb(calc, 'diversify', 'GlobalPlatform static keys ENC/MAC/DEK from master keys and the card\'s KDD (EMV CPG 2.04, VISA2, KDF3)', [
      'opentsm calc diversify --method emv --kdd 00010203040506070809 --key 404142434445464748494A4B4C4D4E4F',
      'opentsm calc diversify --method kdf3 --kdd 00010203040506070809 --key-file masters.hex --json',
    ])
      .option('--method <method>', 'emv, visa2 (3DES) or kdf3 (AES)')
      .option('--kdd <hex>', 'key diversification data: the first 10 bytes of the INITIALIZE UPDATE response'),
    'master key',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcDiversify));

  keySetOptions(
    verb(calc, 'scp02', 'SCP02 session keys (S-ENC, C-MAC, R-MAC, DEK) and card/host cryptograms from the static keys (GPC 2.3.1 Appendix E)', [
      'opentsm calc scp02 --key-enc 100102030405060708090A0B0C0D0E0F --key-mac 101102030405060708090A0B0C0D0E0F \\',
      '    --key-dek 102102030405060708090A0B0C0D0E0F --counter 0001 --host-challenge 40A62C37FA6304F8 --card-challenge 6B4524ABEE7C',
      'opentsm calc scp02 --key - --counter 000A --host-challenge 0102030405060708 --sd-aid A000000151000000',
    ])
      .option('--counter <hex>', 'the sequence counter, 2 bytes (as in the INITIALIZE UPDATE response)')
      .option('--host-challenge <hex>', 'the host challenge, 8 bytes')
      .option('--card-challenge <hex>', 'the card challenge, 6 bytes')
      .option('--sd-aid <aid>', 'instead of --card-challenge: compute the pseudo-random one (i = 55) for this Security Domain'),
    'static key',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcScp02));

  keySetOptions(
    verb(calc, 'scp03', 'SCP03 session keys (S-ENC, S-MAC, S-RMAC), card/host cryptograms, pseudo-random card challenge (GPC Amd D)', [
      'opentsm calc scp03 --key-enc 000102030405060708090A0B0C0D0E0F --key-mac 101112131415161718191A1B1C1D1E1F \\',
      '    --host-challenge B13E5F938FC108C4 --counter 000002 --sd-aid A0000005591010FFFFFFFF8900000100',
      'opentsm calc scp03 --key-file keys.hex --host-challenge B13E5F938FC108C4 --card-challenge 3EB51047495B249F --json',
    ])
      .option('--host-challenge <hex>', 'the host challenge, 8 bytes (S8) or 16 (S16)')
      .option('--card-challenge <hex>', 'the card challenge, as long as the host challenge')
      .option('--counter <hex>', 'with --sd-aid: the sequence counter, 3 bytes, to compute the pseudo-random card challenge')
      .option('--sd-aid <aid>', 'with --counter: the Security Domain AID'),
    'static key (the DEK is not needed)',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcScp03));

  keyOptions(
    verb(calc, 'icc-mk', 'EMV ICC master key (UDK) from an issuer master key, PAN and PSN: option A or B (EMV Book 2 A1.4)', [
      'opentsm calc icc-mk --option a --key 0123456789ABCDEFFEDCBA9876543210 --pan 9901234567890123 --psn 45',
      'opentsm calc icc-mk --option b --key - --pan 12345678901234567 --psn 01 --json',
    ])
      .option('--option <a|b>', 'A (PAN ≤ 16 digits) or B (longer PANs; equals A up to 16 digits)')
      .option('--pan <digits>', 'the PAN, 8 to 19 digits (- to read it from stdin, first)')
      .option('--psn <digits>', 'the PAN sequence number, 2 digits (absent: 00)'),
    'the issuer master key (IMK-AC, -SMI or -SMC), 16 bytes',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcIccMk));

  keyOptions(
    verb(calc, 'session-key', 'EMV session key from an ICC master key: common (A1.3.1), visa-sm, emv2000 tree, mastercard (SKD)', [
      'opentsm calc session-key --method common --key F84315C7B95BD3B0C74694922C3808B0 --r 1234567890123456',
      'opentsm calc session-key --method common --key - --atc 001C           # AC key: R = ATC ‖ 00…',
      'opentsm calc session-key --method visa-sm --key 94F867167C64EF3EEAB0CB627A7A3480 --atc 001C',
      'opentsm calc session-key --method emv2000 --key 0123456789ABCDEF0123456789ABCDEF --atc 0000 --branch-factor 4 --height 8',
      'opentsm calc session-key --method mastercard --key - --atc 001C --un ABCDEF12',
    ])
      .option('--method <method>', 'common, visa-sm, emv2000 or mastercard')
      .option('--cipher <cipher>', 'common only: tdes (default) or aes')
      .option('--atc <hex>', 'the ATC (9F36), 2 bytes')
      .option('--r <hex>', 'common: the diversification value R (8 bytes; AES 16)')
      .option('--arqc <hex>', 'common: R = ARQC (the secure-messaging session keys)')
      .option('--un <hex>', 'mastercard: the unpredictable number (9F37), 4 bytes')
      .option('--branch-factor <n>', 'emv2000: the tree\'s branch factor b')
      .option('--height <n>', 'emv2000: the tree\'s height H (b^H ≥ 2^16)')
      .option('--iv <hex>', 'emv2000: the tree IV, 16 bytes (default zeros, printed)'),
    'the ICC master key',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcSessionKey));

  keyOptions(
    verb(calc, 'arqc', 'EMV application cryptogram by CVN profile, from the data or its named elements; --arqc verifies one', [
      'opentsm calc arqc --profile visa-10 --key 0123456789ABCDEFFEDCBA9876543210 --pan 1234567890123456 --psn 00 \\',
      '    --element 9F02=000000004000,9F03=000000000000,9F1A=0124,95=8000048000,5F2A=0124,9A=191105,9C=01 \\',
      '    --element 9F37=52BF4585,82=1800,9F36=001C,CVR=03A06010',
      'opentsm calc arqc --profile mastercard-16 --key-type session-key --key 5D8F37BCD9E5DA68048CDFA2EA255D9E \\',
      '    --data 00000000999900000000000001248000000000012420990600ABCDEF121800001CA00003220000 --arqc 24CCF3DEE3158C70',
    ])
      .option('--profile <id>', `the CVN profile: ${PROFILE_IDS.join(', ')}`)
      .option('--key-type <type>', 'what --key is: imk (default; the ICC master key is derived), icc-mk or session-key')
      .option('--pan <digits>', 'with --key-type imk: the PAN (- to read it from stdin, first)')
      .option('--psn <digits>', 'with --key-type imk: the PAN sequence number (absent: 00)')
      .option('--data <hex>', 'the cryptogram input, already concatenated')
      .option('--element <id=hex>', 'or each data element by its id (repeat, or comma-separate); see the list below', collect)
      .option('--atc <hex>', 'the ATC for the session key (default: element 9F36)')
      .option('--un <hex>', 'the unpredictable number for Mastercard SKD (default: element 9F37)')
      .option('--arqc <hex>', 'a received ARQC to verify (prints verified: true/false)')
      .addHelpText('after', `\nData elements of each profile, in order:\n${PROFILE_HELP}`),
    'the issuer master key IMK-AC (or see --key-type)',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcArqc));

  keyOptions(
    verb(calc, 'arpc', 'EMV issuer response cryptogram: method 1 (ARC) or 2 (CSU), by --method with the ARPC key, or by --profile', [
      'opentsm calc arpc --method 1 --key F84315C7B95BD3B0C74694922C3808B0 --arqc 4B46013359B7A58B --arc 0000',
      'opentsm calc arpc --method 2 --key 3E736BF8D37664348A04E3ABE00DEFC1 --arqc 4B46013359B7A58B --csu 00000000 --prop-data 1234567890ABCDEF',
      'opentsm calc arpc --profile visa-18 --key 0123456789ABCDEFFEDCBA9876543210 --pan 1234567890123456 --psn 00 \\',
      '    --atc 001C --arqc 7A788EA6B8A3E733 --csu 00000000                  # 9AF514C1',
    ])
      .option('--method <1|2>', 'ARPC method; --key is then the ARPC key itself')
      .option('--profile <id>', `or a CVN profile (${PROFILE_IDS.join(', ')}): it picks the method and the key`)
      .option('--key-type <type>', 'with --profile: what --key is: imk (default), icc-mk or session-key')
      .option('--pan <digits>', 'with --key-type imk: the PAN (- to read it from stdin, first)')
      .option('--psn <digits>', 'with --key-type imk: the PAN sequence number (absent: 00)')
      .option('--atc <hex>', 'with --profile: the ATC, when the ARPC key is the AC session key')
      .option('--un <hex>', 'with --profile: the unpredictable number, for Mastercard SKD')
      .option('--arqc <hex>', 'the ARQC (9F26), 8 bytes')
      .option('--arc <hex>', 'method 1: the authorisation response code, 2 bytes')
      .option('--csu <hex>', 'method 2: the card status update, 4 bytes')
      .option('--prop-data <hex>', 'method 2: proprietary authentication data, 0 to 8 bytes'),
    'the ARPC key (with --method), or the key of --key-type (with --profile)',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcArpc));

  keyOptions(
    verb(calc, 'pin-block', 'ISO 9564-1 PIN blocks: encode or decode formats 0–3 (clear, or under a 3DES --key) and 4 (AES --key)', [
      'opentsm calc pin-block encode --format 0 --pin - --pan 5555555551234567',
      'opentsm calc pin-block decode --format 0 --block 041261AAAAEDCBA9 --pan 5555555551234567    # PIN 1234',
      'opentsm calc pin-block encode --format 4 --pin - --pan 1234567890123456789 --key-file pek.hex',
      'opentsm calc pin-block decode --format 4 --block 729CD06B0166BB0C369BAB92810CF62D --pan 12334567890123456 --key -',
    ])
      .addArgument(new Argument('<action>', 'encode or decode').choices(['encode', 'decode']))
      .option('--format <n>', 'ISO 9564-1 format 0, 1, 2, 3 or 4')
      .option('--pin <digits>', 'encode: the PIN, 4 to 12 digits (- to type it without echo; a PIN given here lands in the shell history)')
      .option('--pan <digits>', 'formats 0, 3 and 4: the PAN (- to read it from stdin, first)')
      .option('--block <hex>', 'decode: the PIN block (8 bytes; format 4: 16)'),
    'the PIN encryption key: 3DES for formats 0–3 (optional), AES for format 4 (required)',
  ).action((action: string, _o: unknown, cmd: Command) => act(cmd, (o, s) => calcPinBlock(action, o, s)));

  keyOptions(
    keyOptions(
      verb(calc, 'tr31', 'TR-31 / X9.143 key blocks: wrap (versions B, D) or unwrap (A–D); header fields and the key\'s KCV', [
        'opentsm calc tr31 unwrap --kbpk DD7515F2BFC17F85CE48F3CA25CB21F6 \\',
        '    --block B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E',
        'opentsm calc tr31 wrap --block-version D --usage K0 --algorithm A --mode B --exportability E --opt-block LB=KEK-2026 \\',
        '    --kbpk-file kbpk.hex --key-file kek.hex',
        'opentsm calc tr31 unwrap --kbpk - --show-key --block D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34',
      ])
        .addArgument(new Argument('<action>', 'wrap or unwrap').choices(['wrap', 'unwrap']))
        .option('--block <text>', 'unwrap: the key block')
        .option('--show-key', 'unwrap: also print the clear key')
        .option('--block-version <v>', 'wrap: key block version B (TDES KBPK) or D (AES KBPK)')
        .option('--usage <code>', 'wrap: key usage, e.g. K0, K1, E0, P0, M3, D0')
        .option('--algorithm <a>', 'wrap: T (TDES), A (AES), H (HMAC), …')
        .option('--mode <m>', 'wrap: mode of use, e.g. B, E, D, X, N, C, G, V')
        .option('--exportability <e>', 'wrap: E, N or S')
        .option('--key-version <vv>', 'wrap: two characters (default 00)')
        .option('--key-context <c>', 'wrap: 0 (default), 1 (storage) or 2 (exchange)')
        .option('--opt-block <id=data>', 'wrap: an optional block, e.g. LB=label (repeat)', collect),
      'wrap: the key to wrap',
    ),
    'the key block protection key',
    'kbpk',
  ).action((action: string, _o: unknown, cmd: Command) => act(cmd, (o, s) => calcTr31(action, o, s)));

  keyOptions(
    verb(calc, 'retail-mac', 'ISO 9797-1 MAC algorithm 3 (ANSI X9.19 retail MAC) with a 16-byte key K ‖ K\'', [
      'opentsm calc retail-mac --key AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB --data 68656C6C6F20776F726C64 --padding 1   # 78DA3D3DEB48FD4D',
      'opentsm calc retail-mac --key - --data 68656C6C6F20776F726C64 --padding 2 --length 4 --iv 0000000000000000',
    ])
      .option('--data <hex>', 'the data')
      .option('--padding <n>', 'ISO 9797-1 padding method 1, 2 or 3')
      .option('--length <n>', 'MAC length in bytes, 4..8 (default 8)')
      .option('--iv <hex>', 'initial chaining value, 8 bytes (default zeros)'),
    'the key K ‖ K\', 16 bytes',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcRetailMac));

  keyOptions(
    verb(calc, 'cmac', 'CMAC: AES (RFC 4493, ISO 9797-1 algorithm 5) or TDES (SP 800-38B)', [
      'opentsm calc cmac --key 2B7E151628AED2A6ABF7158809CF4F3C --data 6BC1BEE22E409F96E93D7E117393172A   # 070A16B46B4D4144F79BDD9DD04A287C',
      'opentsm calc cmac --cipher tdes --key - --data 6BC1BEE22E409F96 --length 8',
    ])
      .option('--cipher <c>', 'aes (default) or tdes')
      .option('--data <hex>', 'the data')
      .option('--length <n>', 'MAC length in bytes (default the block: 16 for AES, 8 for TDES)'),
    'the key',
  ).action((_o: unknown, cmd: Command) => act(cmd, calcCmac));

  for (const cipher of ['des', 'aes'] as const) {
    const des = cipher === 'des';
    keyOptions(
      verb(calc, cipher, des ? 'DES/3DES encrypt or decrypt, ECB or CBC, no padding (8-byte keys: single DES, legacy)' : 'AES encrypt or decrypt, ECB or CBC, no padding', des
        ? [
            'opentsm calc des encrypt --mode ecb --key 0123456789ABCDEF --data 4E6F772069732074   # 3FA40E8A984D4815 (FIPS 81)',
            'opentsm calc des decrypt --mode cbc --key - --iv 1234567890ABCDEF --data E5C7CDDE872BF27C',
          ]
        : [
            'opentsm calc aes encrypt --mode ecb --key 2B7E151628AED2A6ABF7158809CF4F3C --data 6BC1BEE22E409F96E93D7E117393172A',
            'opentsm calc aes decrypt --mode cbc --key-file k.hex --iv 000102030405060708090A0B0C0D0E0F --data 7649ABAC8119B246CEE98E9B12E9197D',
          ])
        .addArgument(new Argument('<action>', 'encrypt or decrypt').choices(['encrypt', 'decrypt']))
        .option('--mode <mode>', 'ecb or cbc')
        .option('--data <hex>', `the input, a multiple of ${des ? 8 : 16} bytes`)
        .option('--iv <hex>', `CBC: the IV, ${des ? 8 : 16} bytes (required: no default IV)`),
      des ? 'the key: 8 (DES), 16 or 24 bytes (3DES)' : 'the key: 16, 24 or 32 bytes',
    ).action((action: string, _o: unknown, cmd: Command) => act(cmd, (o, s) => calcCipher(cipher, action, o, s)));
  }

  for (const v of calc.commands) v.option('--json', 'print the result as JSON');
}
