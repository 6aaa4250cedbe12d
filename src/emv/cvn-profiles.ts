/**
 * Cryptogram Version Number (CVN) profiles as data (CONVENTIONS.md §10; research/hsm-emv.md §6.3):
 * which master key derivation, session keys, MAC padding, ARPC method, secure-messaging keys and
 * layouts, and which data elements a scheme's cryptogram covers. The payment applet and the issuer
 * HSM both read this table, so a profile is never re-encoded as a switch.
 *
 * Every entry is what pyemv 1.5.0 (knovichikhin/pyemv @cf6b82d, pyemv/cvn.py) implements, checked
 * end to end against the vectors captured from its test suite (test/emv/cvn-profiles.test.ts).
 * Scheme specifications were not available; entries the vectors do not pin down say so.
 */
import type { ScriptEncipherment } from './script-encryption.ts';

/** One data element of the cryptogram input, in order. `from` marks a slice of the IAD (9F10). */
export interface AcDataElement {
  /** Tag, or a name for an IAD slice ('CVR', 'COUNTERS'). */
  readonly id: string;
  /** Length in bytes; `null` for the whole variable-length IAD. */
  readonly length: number | null;
  readonly from?: '9F10';
}

/** A CVN profile. */
export interface CvnProfile {
  readonly scheme: 'visa' | 'mastercard' | 'interac';
  readonly cvn: number;
  /** EMV Book 2 A1.4 option for the ICC master keys (AC, SMI, SMC). */
  readonly masterKeyDerivation: 'option-a' | 'option-b';
  /** AC session key: none (the ICC master key itself), common with R = ATC‖00…, or Mastercard SKD (R = ATC‖0000‖UN). */
  readonly acSessionKey: 'none' | 'common-atc' | 'mastercard-skd';
  /** ISO 9797-1 padding method of the TDES AC MAC. */
  readonly acPadding: 1 | 2;
  /** Cryptogram input data elements, in order. */
  readonly acData: readonly AcDataElement[];
  /** ARPC method and which key: the ICC master key or the AC session key. */
  readonly arpc: { readonly method: 1 | 2; readonly key: 'icc-master-key' | 'ac-session-key' };
  /** Secure-messaging session keys: Visa (MK ⊕ ATC) or common with R = ARQC. */
  readonly smSessionKey: 'visa' | 'common-arqc';
  /** Whether the script MAC input carries ATC ‖ ARQC after the header (not transmitted). */
  readonly scriptMacTransactionData: boolean;
  /** The script confidentiality layout. */
  readonly scriptEncipherment: ScriptEncipherment;
  /** PIN CHANGE data: the block without and with the current PIN (`null`: no such variant in the vectors). */
  readonly pinChange: { readonly newPin: 'vis' | 'iso9564-2'; readonly withCurrentPin: 'vis' | null };
  /** Where this entry comes from. */
  readonly source: string;
}

/** The terminal and card data every profile starts with (EMV Book 2 §8.1.1 recommended minimum). */
const RECOMMENDED: readonly AcDataElement[] = [
  { id: '9F02', length: 6 },
  { id: '9F03', length: 6 },
  { id: '9F1A', length: 2 },
  { id: '95', length: 5 },
  { id: '5F2A', length: 2 },
  { id: '9A', length: 3 },
  { id: '9C', length: 1 },
  { id: '9F37', length: 4 },
  { id: '82', length: 2 },
  { id: '9F36', length: 2 },
];
const IAD: AcDataElement = { id: '9F10', length: null };
const CVR4: AcDataElement = { id: 'CVR', length: 4, from: '9F10' };
const CVR6: AcDataElement = { id: 'CVR', length: 6, from: '9F10' };
const COUNTERS: AcDataElement = { id: 'COUNTERS', length: 8, from: '9F10' };

const PYEMV = 'pyemv 1.5.0 pyemv/cvn.py';

/** The profiles the vectors cover, keyed `<scheme>-<cvn>`. */
export const CVN_PROFILES = {
  'visa-10': {
    scheme: 'visa', cvn: 10, masterKeyDerivation: 'option-a', acSessionKey: 'none', acPadding: 1,
    acData: [...RECOMMENDED, CVR4], arpc: { method: 1, key: 'icc-master-key' }, smSessionKey: 'visa',
    scriptMacTransactionData: true, scriptEncipherment: 'visa', pinChange: { newPin: 'vis', withCurrentPin: 'vis' },
    source: `${PYEMV} VisaCVN10; vectors */test_visa_cvn10/*`,
  },
  'visa-18': {
    scheme: 'visa', cvn: 18, masterKeyDerivation: 'option-b', acSessionKey: 'common-atc', acPadding: 2,
    acData: [...RECOMMENDED, IAD], arpc: { method: 2, key: 'ac-session-key' }, smSessionKey: 'visa',
    scriptMacTransactionData: true, scriptEncipherment: 'visa', pinChange: { newPin: 'vis', withCurrentPin: 'vis' },
    source: `${PYEMV} VisaCVN18; vectors */test_visa_cvn18/*, */pyemv.cvn/*`,
  },
  'visa-22': {
    scheme: 'visa', cvn: 22, masterKeyDerivation: 'option-b', acSessionKey: 'common-atc', acPadding: 2,
    acData: [...RECOMMENDED, IAD], arpc: { method: 2, key: 'ac-session-key' }, smSessionKey: 'common-arqc',
    scriptMacTransactionData: true, scriptEncipherment: 'visa', pinChange: { newPin: 'iso9564-2', withCurrentPin: 'vis' },
    // The capture de-duplicated CVN 22's AC and ARPC records: its SM vectors use ARQC
    // 7A788EA6B8A3E733, the CVN 18 value, so the AC/ARPC fields are inferred as CVN 18's
    // (research/hsm-emv.md §3.2 [V]: "CVN 18 / CVN 22: common session key, method-2 padding, ARPC method 2").
    source: 'pyemv 1.5.0 VisaCVN22 (SM fields: vectors */test_visa_cvn22/*; AC/ARPC fields inferred, see comment)',
  },
  'mastercard-16': {
    scheme: 'mastercard', cvn: 16, masterKeyDerivation: 'option-a', acSessionKey: 'mastercard-skd', acPadding: 2,
    acData: [...RECOMMENDED, CVR6], arpc: { method: 1, key: 'icc-master-key' }, smSessionKey: 'common-arqc',
    scriptMacTransactionData: true, scriptEncipherment: 'mastercard', pinChange: { newPin: 'iso9564-2', withCurrentPin: null },
    source: `${PYEMV} MasterCardCVN16; vectors */test_mastercard_cvn16/*`,
  },
  'mastercard-17': {
    scheme: 'mastercard', cvn: 17, masterKeyDerivation: 'option-a', acSessionKey: 'mastercard-skd', acPadding: 2,
    acData: [...RECOMMENDED, CVR6, COUNTERS], arpc: { method: 1, key: 'icc-master-key' }, smSessionKey: 'common-arqc',
    scriptMacTransactionData: true, scriptEncipherment: 'mastercard', pinChange: { newPin: 'iso9564-2', withCurrentPin: null },
    source: `${PYEMV} MasterCardCVN17; vectors */test_mastercard_cvn17/*`,
  },
  'mastercard-20': {
    scheme: 'mastercard', cvn: 20, masterKeyDerivation: 'option-a', acSessionKey: 'common-atc', acPadding: 2,
    // The vectors (arpc/*cvn20*) use the AC session key for ARPC method 1, not the ICC master key as
    // research/hsm-emv.md §3.2 says for "all four" Mastercard CVNs: the vectors are right.
    acData: [...RECOMMENDED, CVR6], arpc: { method: 1, key: 'ac-session-key' }, smSessionKey: 'common-arqc',
    scriptMacTransactionData: true, scriptEncipherment: 'mastercard', pinChange: { newPin: 'iso9564-2', withCurrentPin: null },
    source: `${PYEMV} MasterCardCVN20; vectors */test_mastercard_cvn20/*`,
  },
  'mastercard-21': {
    scheme: 'mastercard', cvn: 21, masterKeyDerivation: 'option-a', acSessionKey: 'common-atc', acPadding: 2,
    acData: [...RECOMMENDED, CVR6, COUNTERS], arpc: { method: 1, key: 'ac-session-key' }, smSessionKey: 'common-arqc',
    scriptMacTransactionData: true, scriptEncipherment: 'mastercard', pinChange: { newPin: 'iso9564-2', withCurrentPin: null },
    source: `${PYEMV} MasterCardCVN21; vectors */test_mastercard_cvn21/*`,
  },
  'interac-133': {
    scheme: 'interac', cvn: 133, masterKeyDerivation: 'option-a', acSessionKey: 'mastercard-skd', acPadding: 2,
    // ARPC method 1 with the Mastercard-SKD AC session key (arpc/test_interac_cvn133/8).
    acData: [...RECOMMENDED, IAD], arpc: { method: 1, key: 'ac-session-key' }, smSessionKey: 'common-arqc',
    scriptMacTransactionData: false, scriptEncipherment: 'mastercard', pinChange: { newPin: 'iso9564-2', withCurrentPin: null },
    source: `${PYEMV} InteracCVN133; vectors */test_interac_cvn133/*`,
  },
} as const satisfies Record<string, CvnProfile>;

/** A key of {@link CVN_PROFILES}. */
export type CvnProfileId = keyof typeof CVN_PROFILES;
