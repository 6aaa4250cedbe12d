/**
 * Published-value tests for emv/: one table-driven loop per vector file, each mapping the captured
 * pyemv 1.5.0 function name to ours. Every expected value is the library's output recorded while its
 * own (passing) tests ran; nothing here is computed by the code under test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import {
  decryptScriptData,
  deriveCommonSessionKey,
  deriveEmv2000TreeSessionKey,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  deriveVisaSmSessionKey,
  encodePinBlock,
  encodeVisPinBlock,
  encryptScriptData,
  generateAc,
  generateArpcMethod1,
  generateArpcMethod2,
  generateScriptMac,
  scriptMacInput,
  verifyAc,
  verifyArpcMethod1,
  verifyArpcMethod2,
  verifyScriptMac,
  type ScriptEncipherment,
} from '../../src/emv/index.ts';
import { loadCaptured, optInt, optStr, str, tamper, type CapturedVector } from './captured.ts';

type Handler = (v: CapturedVector) => void;

/** Runs every vector of `file` through the handler its `function` names; an unmapped function fails. */
function vectorLoop(file: string, handlers: Readonly<Record<string, Handler>>): void {
  describe(`${file} (${loadCaptured(file).length} vectors)`, () => {
    for (const v of loadCaptured(file)) {
      it(v.name, () => {
        const handler = handlers[v.function];
        assert.ok(handler, `no mapping for ${v.function}`);
        assert.match(v.source, /^pyemv 1\.5\.0 /);
        handler(v);
      });
    }
  });
}

const h = (v: CapturedVector, key: string): Uint8Array => fromHex(str(v, key));

vectorLoop('emv/udk-derivation.json', {
  // psn null: pyemv passes no PSN, which EMV Book 2 A1.4.1 replaces with '00'; ours takes null for that.
  'pyemv.kd.derive_icc_mk_a': (v) =>
    assert.equal(toHex(deriveIccMasterKeyOptionA(h(v, 'iss_mk'), str(v, 'pan'), optStr(v, 'psn'))), v.expected),
  'pyemv.kd.derive_icc_mk_b': (v) =>
    assert.equal(toHex(deriveIccMasterKeyOptionB(h(v, 'iss_mk'), str(v, 'pan'), optStr(v, 'psn'))), v.expected),
});

vectorLoop('emv/session-keys.json', {
  'pyemv.kd.derive_common_sk': (v) => assert.equal(toHex(deriveCommonSessionKey(h(v, 'icc_mk'), h(v, 'r'))), v.expected),
  'pyemv.kd.derive_visa_sm_sk': (v) => assert.equal(toHex(deriveVisaSmSessionKey(h(v, 'icc_mk'), h(v, 'atc'))), v.expected),
  'pyemv.kd.derive_emv2000_tree_sk': (v) => {
    const options = { branchFactor: optInt(v, 'branch_factor')!, height: optInt(v, 'height')!, iv: h(v, 'iv') };
    assert.equal(toHex(deriveEmv2000TreeSessionKey(h(v, 'icc_mk'), h(v, 'atc'), options)), v.expected);
  },
});

/** pyemv ac.PaddingType: VISA = ISO 9797-1 method 1, EMV = method 2; null takes pyemv's default, EMV. */
function padding(v: CapturedVector): 1 | 2 {
  const type = optStr(v, 'padding_type');
  if (type === 'PaddingType.VISA') return 1;
  if (type === 'PaddingType.EMV' || type === null) return 2;
  throw new Error(`${v.name}: unknown padding type ${type}`);
}

vectorLoop('emv/arqc.json', {
  'pyemv.ac.generate_ac': (v) => {
    // length null is pyemv's default, 8: every EMV cryptogram is 8 bytes (our AC_LENGTH).
    assert.ok([null, 8].includes(optInt(v, 'length')), 'only 8-byte cryptograms are captured');
    const algorithm = { cipher: 'tdes', padding: padding(v) } as const;
    assert.equal(toHex(generateAc(h(v, 'sk_ac'), h(v, 'data'), algorithm)), v.expected);
    const received = fromHex(v.expected);
    assert.equal(verifyAc(h(v, 'sk_ac'), h(v, 'data'), received, algorithm), true);
    assert.equal(verifyAc(h(v, 'sk_ac'), h(v, 'data'), tamper(received), algorithm), false);
  },
});

vectorLoop('emv/arpc.json', {
  'pyemv.ac.generate_arpc_1': (v) => {
    const [key, arqc, arc] = [h(v, 'sk_ac'), h(v, 'arqc'), h(v, 'arpc_rc')];
    assert.equal(toHex(generateArpcMethod1(key, arqc, arc)), v.expected);
    assert.equal(verifyArpcMethod1(key, arqc, arc, fromHex(v.expected)), true);
    assert.equal(verifyArpcMethod1(key, arqc, arc, tamper(fromHex(v.expected))), false);
  },
  'pyemv.ac.generate_arpc_2': (v) => {
    // prop_auth_data null: absent proprietary authentication data, i.e. zero bytes.
    const pad = fromHex(optStr(v, 'prop_auth_data') ?? '');
    const [key, arqc, csu] = [h(v, 'sk_ac'), h(v, 'arqc'), h(v, 'csu')];
    assert.equal(toHex(generateArpcMethod2(key, arqc, csu, pad)), v.expected);
    assert.equal(verifyArpcMethod2(key, arqc, csu, pad, fromHex(v.expected)), true);
    assert.equal(verifyArpcMethod2(key, arqc, csu, pad, tamper(fromHex(v.expected))), false);
  },
});

/**
 * Four captured MAC inputs carry an Lc that is not data length + MAC length: pyemv's
 * tests/test_sm_hsm.py reuses the header 84 24 00 0x 10 of its 8-byte Mastercard PIN block for
 * 16-byte Visa/CCD enciphered PIN blocks (Lc should be 18). The vectors are right for the bytes
 * they were given, but those bytes are not a well-formed script command, so scriptMacInput (which
 * computes Lc) cannot produce them. For these four we check the MAC primitive on the captured bytes
 * and that our builder gives Lc = 18; the finding is in the vector's input, not in our code.
 */
const LC_QUIRK = new Set([
  'sm/generate_command_mac/test_vis_pin_change/43',
  'sm/generate_command_mac/test_vis_change_change_current_pin/46',
  'sm/generate_command_mac/test_vis_change_current_pin_12/49',
  'sm/generate_command_mac/test_ccd_pin_change/51',
]);

/**
 * pyemv's generate_command_mac takes the assembled MAC input. We split it into header, Lc and the
 * rest; Lc − MAC length is the data length, and 10 extra bytes are ATC ‖ ARQC. Rebuilding it with
 * scriptMacInput must give the captured bytes back (the layout check), then the MAC must match.
 */
function commandMac(v: CapturedVector): void {
  const command = h(v, 'command');
  const macLength = optInt(v, 'length') ?? 8; // pyemv default: 8 bytes
  const header = command.subarray(0, 4);
  const rest = command.subarray(5);
  let input = command;
  if (LC_QUIRK.has(v.name)) {
    const rebuilt = scriptMacInput({ header, data: rest, macLength, transactionData: null });
    assert.equal(rebuilt[4], rest.length + macLength);
    assert.notEqual(command[4], rebuilt[4]);
  } else {
    const dataLength = command[4]! - macLength;
    assert.ok(rest.length === dataLength || rest.length === dataLength + 10, 'unexpected MAC input layout');
    const withTxn = rest.length === dataLength + 10;
    input = scriptMacInput({
      header,
      data: rest.subarray(withTxn ? 10 : 0),
      macLength,
      transactionData: withTxn ? { atc: rest.subarray(0, 2), arqc: rest.subarray(2, 10) } : null,
    });
    assert.equal(toHex(input), toHex(command));
  }
  assert.equal(toHex(generateScriptMac(h(v, 'sk_smi'), input, { length: macLength })), v.expected);
  assert.equal(verifyScriptMac(h(v, 'sk_smi'), input, fromHex(v.expected)), true);
  assert.equal(verifyScriptMac(h(v, 'sk_smi'), input, tamper(fromHex(v.expected))), false);
}

const ENCRYPTION_TYPES: Readonly<Record<string, ScriptEncipherment>> = {
  'EncryptionType.VISA': 'visa',
  'EncryptionType.MASTERCARD': 'mastercard',
  'EncryptionType.EMV': 'emv',
};

vectorLoop('emv/secure-messaging.json', {
  'pyemv.sm.generate_command_mac': commandMac,
  'pyemv.sm.encrypt_command_data': (v) => {
    const scheme = ENCRYPTION_TYPES[str(v, 'encryption_type')];
    assert.ok(scheme, 'unknown encryption type');
    const data = h(v, 'command_data');
    assert.equal(toHex(encryptScriptData(h(v, 'sk_smc'), data, { scheme })), v.expected);
    const back = decryptScriptData(h(v, 'sk_smc'), fromHex(v.expected), { scheme });
    // Mastercard pads only unaligned data and cannot unpad: 1234 and 1234800000000000 encrypt alike
    // (vectors 33/34), so the card gets the padded block back.
    const want = scheme === 'mastercard' && data.length % 8 !== 0 ? `${str(v, 'command_data')}80`.padEnd(16, '0') : str(v, 'command_data');
    assert.equal(toHex(back), want);
  },
  'pyemv.sm.format_vis_pin_block': (v) =>
    assert.equal(toHex(encodeVisPinBlock(h(v, 'icc_mk_ac'), str(v, 'pin'), optStr(v, 'current_pin'))), v.expected),
  'pyemv.sm.format_iso9564_2_pin_block': (v) => assert.equal(toHex(encodePinBlock(str(v, 'pin'), { format: 2 })), v.expected),
});
