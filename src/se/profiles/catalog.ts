/**
 * The card profiles OpenTSM ships (data; see card-profile.ts). `strict-ese` and `strict-uicc` follow
 * GPC 2.3.1 and Amd D to the letter; `legacy-uicc` carries the field deviations of older SIMs.
 */
import { fromHex } from '../../bytes/index.ts';
import { NO_QUIRKS, type CardProfile } from './card-profile.ts';

const GP_ISD_AID = fromHex('A000000151000000');

export const STRICT_ESE: CardProfile = Object.freeze<CardProfile>({
  id: 'strict-ese',
  description: 'Embedded SE, GPC 2.3.1 strict, SCP03 i=70 (pseudo-random challenge, R-MAC, R-ENC)',
  kind: 'ese',
  // ISO/IEC 7816-3 §8: direct convention, T=1, 11 historical bytes "OpenTSM-eSE", TCK 2A
  atr: fromHex('3B8B80014F70656E54534D2D6553452A'),
  channels: 20,
  isdAid: GP_ISD_AID,
  scp: { protocol: 3, i: 0x70 },
  memoryQuota: 512 * 1024,
  authFailureLimit: 10,
  ssdInitialKeys: 'put-key-via-parent',
  quirks: NO_QUIRKS,
});

export const STRICT_UICC: CardProfile = Object.freeze<CardProfile>({
  id: 'strict-uicc',
  description: 'UICC, GPC 2.3.1 strict (UICC configuration), SCP03 i=70; answers the ETSI TS 102 221 basics',
  kind: 'uicc',
  // a UICC ATR: T=0 and T=15 global bytes (ETSI TS 102 221 §6.3), TCK A5
  atr: fromHex('3B9F96801FC78031A073BE21136743200718000001A5'),
  channels: 4,
  isdAid: GP_ISD_AID,
  scp: { protocol: 3, i: 0x70 },
  memoryQuota: 256 * 1024,
  authFailureLimit: 10,
  ssdInitialKeys: 'put-key-via-parent',
  quirks: NO_QUIRKS,
});

export const LEGACY_UICC: CardProfile = Object.freeze<CardProfile>({
  id: 'legacy-uicc',
  description: 'Older SIM: SCP02 i=55, legacy GET STATUS only, 6999 for locked applets, no CPLC, AES keys reported as DES, 9485 for a bad PUT KEY check value',
  kind: 'uicc',
  atr: fromHex('3B9F96801FC78031A073BE21136743200718000001A5'),
  channels: 4,
  isdAid: GP_ISD_AID,
  scp: { protocol: 2, i: 0x55 },
  memoryQuota: 128 * 1024,
  authFailureLimit: 3,
  ssdInitialKeys: 'copy-isd-keys',
  quirks: Object.freeze({ legacyGetStatusOnly: true, lockedSelectSw: 0x6999, noCplc: true, keyInfoReportsAesAsDes: true, putKeyKcvMismatchSw: 0x9485 }),
});

/** Every shipped profile by id. */
export const PROFILES: ReadonlyMap<string, CardProfile> = new Map([STRICT_ESE, STRICT_UICC, LEGACY_UICC].map((p) => [p.id, p]));
