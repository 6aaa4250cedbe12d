/**
 * The Issuer Application Data (9F10) layout per scheme: where the CVR and the counters sit, so the
 * card builds the IAD and the issuer takes the cryptogram-input slices from it with the same table
 * (docs/payment-application.md §2). Scheme IAD formats are not public: the layouts are the widely
 * documented VIS 1.5 format 0/1/3 and M/Chip 4 ones [M], and they are data here, not switches.
 */
import { concat } from '../bytes/index.ts';
import { assertEmvBytes, assertEmvInt } from './assert.ts';
import type { CvnProfile } from './cvn-profiles.ts';
import { EmvError } from './errors.ts';

interface IadLayout {
  /** Total IAD length in bytes. */
  readonly length: number;
  /** A fixed leading length byte (Visa: 06 = the length of DKI ‖ CVN ‖ CVR), or null. */
  readonly lead: number | null;
  /** Offsets of the fields. */
  readonly dki: number;
  readonly cvn: number;
  readonly cvr: { readonly offset: number; readonly length: number };
  readonly counters: { readonly offset: number; readonly length: number } | null;
}

const MCHIP: IadLayout = { length: 18, lead: null, dki: 0, cvn: 1, cvr: { offset: 2, length: 6 }, counters: { offset: 10, length: 8 } };

/** Per scheme (VIS 1.5 [M]; M/Chip 4 [M]; Interac uses the M/Chip layout here). */
const LAYOUTS: Readonly<Record<CvnProfile['scheme'], IadLayout>> = {
  visa: { length: 7, lead: 0x06, dki: 1, cvn: 2, cvr: { offset: 3, length: 4 }, counters: null },
  mastercard: MCHIP,
  interac: MCHIP,
};

/** What the card puts into its IAD. */
export interface IadFields {
  /** Key derivation index (which issuer master key), 0..255. */
  readonly dki: number;
  /** Card verification results: 4 bytes (Visa) or 6 (Mastercard, Interac). */
  readonly cvr: Uint8Array;
  /** Counters, 8 bytes (Mastercard, Interac; zeros when absent). */
  readonly counters?: Uint8Array;
}

function layoutOf(profile: CvnProfile): IadLayout {
  const layout = LAYOUTS[profile?.scheme];
  if (layout === undefined) throw new EmvError('ERR_EMV_PARAM', 'IAD: expected a CVN profile');
  return layout;
}

/**
 * The IAD (9F10) of a card of `profile`.
 * @example buildIad(CVN_PROFILES['visa-18'], { dki: 1, cvr: hex`03A00000` }) → 06 01 12 03A00000
 */
export function buildIad(profile: CvnProfile, fields: IadFields): Uint8Array {
  const layout = layoutOf(profile);
  assertEmvInt(fields?.dki, 0, 0xff, 'IAD key derivation index');
  assertEmvBytes(fields.cvr, [layout.cvr.length], 'CVR');
  const iad = new Uint8Array(layout.length);
  if (layout.lead !== null) iad[0] = layout.lead;
  iad[layout.dki] = fields.dki;
  iad[layout.cvn] = profile.cvn;
  iad.set(fields.cvr, layout.cvr.offset);
  if (layout.counters !== null) {
    const counters = fields.counters ?? new Uint8Array(layout.counters.length);
    assertEmvBytes(counters, [layout.counters.length], 'IAD counters');
    iad.set(counters, layout.counters.offset);
  }
  return iad;
}

/**
 * The issuer's side: the cryptogram-input slices of an IAD (`CVR`, and `COUNTERS` where the scheme
 * has them), plus the whole IAD as `9F10`, ready for `assembleAcData`. Refuses an IAD of another
 * length or one that names another CVN.
 */
export function iadElements(profile: CvnProfile, iad: Uint8Array): Readonly<Record<string, Uint8Array>> {
  const layout = layoutOf(profile);
  assertEmvBytes(iad, [layout.length], 'Issuer Application Data (9F10)');
  if (layout.lead !== null && iad[0] !== layout.lead) throw new EmvError('ERR_EMV_INPUT', 'Issuer Application Data (9F10): wrong length byte for this scheme');
  if (iad[layout.cvn] !== profile.cvn) throw new EmvError('ERR_EMV_INPUT', `Issuer Application Data (9F10): CVN ${iad[layout.cvn]} is not the profile's ${profile.cvn}`);
  const slice = (f: { offset: number; length: number }): Uint8Array => iad.slice(f.offset, f.offset + f.length);
  const out: Record<string, Uint8Array> = { '9F10': iad.slice(), CVR: slice(layout.cvr) };
  if (layout.counters !== null) out['COUNTERS'] = slice(layout.counters);
  return Object.freeze(out);
}

/** The key derivation index an IAD names. */
export function iadKeyDerivationIndex(profile: CvnProfile, iad: Uint8Array): number {
  const layout = layoutOf(profile);
  assertEmvBytes(iad, [layout.length], 'Issuer Application Data (9F10)');
  return iad[layout.dki]!;
}

/** Concatenation helper kept here so callers need not know the layout: CVR bytes of a fresh card. */
export function initialCvr(profile: CvnProfile): Uint8Array {
  const layout = layoutOf(profile);
  // VIS: the CVR's first byte is its own length (03); M/Chip CVRs start at zero.
  return layout.lead !== null ? concat(Uint8Array.of(0x03), new Uint8Array(layout.cvr.length - 1)) : new Uint8Array(layout.cvr.length);
}
