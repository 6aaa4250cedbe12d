/**
 * A card as it leaves the factory: the ISD with its first key set, the preloaded load files, CPLC
 * and identification data. The card factory (fleets, key files) builds on this.
 */
import { CARD_LIFECYCLE, KEY_TYPES, encodePrivileges } from '../../gp/index.ts';
import { SeError } from '../errors.ts';
import type { CardProfile } from '../profiles/card-profile.ts';
import type { ApplicationState, CardState, KeySetState, LoadFileState } from './card-state.ts';
import { fromHex } from '../../bytes/index.ts';

/** The GP Security Domain package and module preloaded on GP cards (used for INSTALL of SSDs). */
export const SD_LOAD_FILE_AID = fromHex('A0000001515350');
export const SD_MODULE_AID = fromHex('A000000151535041');

/** The secure-channel keys of a key set (key ids 1 ENC, 2 MAC, 3 DEK). */
export interface KeySetInput {
  readonly kvn: number;
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

export interface NewCardInput {
  readonly profile: CardProfile;
  readonly isdKeys: KeySetInput;
  /** 42-byte CPLC (GPC 2.3.1 §H.6? / GET DATA 9F7F). */
  readonly cplc: Uint8Array;
  /** Key diversification data returned in INITIALIZE UPDATE (10 bytes). */
  readonly kdd: Uint8Array;
  readonly iin?: Uint8Array;
  readonly cin?: Uint8Array;
  /** Card life cycle at issuance (default SECURED). */
  readonly lifecycle?: number;
  /** Extra preloaded load files (e.g. ARA-M, payment packages). */
  readonly preloaded?: readonly LoadFileState[];
  /** Extra preinstalled instances (e.g. the ARA-M). */
  readonly preinstalled?: readonly ApplicationState[];
}

/** A key set of secure-channel keys of the profile's protocol. */
export function scpKeySet(profile: CardProfile, keys: KeySetInput): KeySetState {
  const type = profile.scp.protocol === 3 ? KEY_TYPES.AES : KEY_TYPES.DES;
  const lengths = profile.scp.protocol === 3 ? [16, 24, 32] : [16];
  for (const k of [keys.enc, keys.mac, keys.dek]) {
    if (!lengths.includes(k.length)) throw new SeError('ERR_SE_CONFIG', `SCP0${profile.scp.protocol} keys must be ${lengths.join('/')} bytes, got ${k.length}`);
  }
  return {
    kvn: keys.kvn,
    counter: 0,
    keys: [
      { id: 1, type, value: keys.enc.slice() },
      { id: 2, type, value: keys.mac.slice() },
      { id: 3, type, value: keys.dek.slice() },
    ],
  };
}

/** The initial state of a new card. */
export function newCardState(input: NewCardInput): CardState {
  const { profile } = input;
  if (input.cplc.length !== 42) throw new SeError('ERR_SE_CONFIG', `CPLC must be 42 bytes, got ${input.cplc.length}`);
  if (input.kdd.length !== 10) throw new SeError('ERR_SE_CONFIG', `key diversification data must be 10 bytes, got ${input.kdd.length}`);
  const isd: ApplicationState = {
    aid: profile.isdAid,
    loadFileAid: SD_LOAD_FILE_AID,
    moduleAid: SD_MODULE_AID,
    lifecycle: input.lifecycle ?? CARD_LIFECYCLE.SECURED,
    // GPC 2.3.1 §6.6.2: the ISD holds every privilege except DAP/Mandated DAP and the contactless ones
    privileges: encodePrivileges(['SecurityDomain', 'CardLock', 'CardTerminate', 'CardReset', 'CVMManagement', 'TrustedPath', 'AuthorizedManagement', 'TokenManagement', 'GlobalDelete', 'GlobalLock', 'GlobalRegistry', 'FinalApplication', 'ReceiptGeneration']),
    sdAid: profile.isdAid,
    implicitSelection: [],
    installParameters: new Uint8Array(0),
    sd: {
      scp: profile.scp,
      keySets: [scpKeySet(profile, input.isdKeys)],
      authFailures: 0,
      kdd: input.kdd.slice(),
      iin: input.iin?.slice(),
      cin: input.cin?.slice(),
    },
  };
  const sdPackage: LoadFileState = { aid: SD_LOAD_FILE_AID, sdAid: profile.isdAid, modules: [{ aid: SD_MODULE_AID }], size: 0 };
  return {
    format: 'opentsm-se/1',
    profile: profile.id,
    lifecycle: input.lifecycle ?? CARD_LIFECYCLE.SECURED,
    isdAid: profile.isdAid,
    cplc: input.cplc.slice(),
    loadFiles: [sdPackage, ...(input.preloaded ?? [])],
    applications: [isd, ...(input.preinstalled ?? [])],
    memoryQuota: profile.memoryQuota,
  };
}
