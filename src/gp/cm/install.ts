import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { ByteWriter, assertBytes, concat } from '../../bytes/index.ts';
import { assertAid } from './aid.ts';
import { badArgument } from './fail.ts';
import { encodeGpLength } from './gp-length.ts';
import { gpCla, INS } from './header.ts';
import { hasPrivilege } from './privileges.ts';
import { dmTokenData } from './token.ts';

/** INSTALL P1 roles (GPC 2.3.1 Table 11-41); b8 is the chaining bit (see `splitGpChain`). */
export const INSTALL_P1 = {
  load: 0x02,
  install: 0x04,
  makeSelectable: 0x08,
  installAndMakeSelectable: 0x0c,
  loadInstallAndMakeSelectable: 0x0e,
  extradition: 0x10,
  personalization: 0x20,
  registryUpdate: 0x40,
} as const;

/** INSTALL P2 (§11.5.2.2): '01' starts and '03' ends a combined load, install and make selectable. */
export const INSTALL_P2 = { none: 0x00, combinedStart: 0x01, combinedEnd: 0x03 } as const;

/**
 * An INSTALL command's content, one variant per role (Tables 11-42..11-47). Parameter fields are
 * encoded bytes (see `encodeInstallParameters`); privileges are 1 or 3 bytes (`encodePrivileges`).
 * `combined` selects the two commands of [for load, install and make selectable] (P1 '0E').
 */
export type InstallRequest =
  | {
      readonly kind: 'load';
      readonly loadFileAid: Uint8Array;
      readonly securityDomainAid?: Uint8Array | undefined;
      readonly lfdbHash?: Uint8Array | undefined;
      readonly parameters?: Uint8Array | undefined;
      readonly token?: Uint8Array | undefined;
      readonly combined?: boolean | undefined;
    }
  | {
      readonly kind: 'install';
      readonly loadFileAid?: Uint8Array | undefined;
      readonly moduleAid?: Uint8Array | undefined;
      readonly applicationAid: Uint8Array;
      readonly privileges: Uint8Array;
      readonly parameters: Uint8Array;
      readonly token?: Uint8Array | undefined;
      readonly makeSelectable: boolean;
      readonly combined?: boolean | undefined;
    }
  | {
      readonly kind: 'make-selectable';
      readonly applicationAid: Uint8Array;
      readonly privileges: Uint8Array;
      readonly parameters?: Uint8Array | undefined;
      readonly token?: Uint8Array | undefined;
    }
  | {
      readonly kind: 'extradition';
      readonly securityDomainAid: Uint8Array;
      readonly aid: Uint8Array;
      readonly parameters?: Uint8Array | undefined;
      readonly token?: Uint8Array | undefined;
    }
  | {
      readonly kind: 'registry-update';
      readonly securityDomainAid?: Uint8Array | undefined;
      readonly applicationAid?: Uint8Array | undefined;
      readonly privileges?: Uint8Array | undefined;
      readonly parameters?: Uint8Array | undefined;
      readonly token?: Uint8Array | undefined;
    }
  | { readonly kind: 'personalization'; readonly applicationAid: Uint8Array };

const EMPTY = new Uint8Array(0);

/** P1 and P2 of a request (Tables 11-41, §11.5.2.2). */
export function installP1P2(request: InstallRequest): { p1: number; p2: number } {
  switch (request.kind) {
    case 'load':
      return request.combined === true ? { p1: INSTALL_P1.loadInstallAndMakeSelectable, p2: INSTALL_P2.combinedStart } : { p1: INSTALL_P1.load, p2: 0 };
    case 'install':
      if (request.combined === true) return { p1: INSTALL_P1.loadInstallAndMakeSelectable, p2: INSTALL_P2.combinedEnd };
      return { p1: request.makeSelectable ? INSTALL_P1.installAndMakeSelectable : INSTALL_P1.install, p2: 0 };
    case 'make-selectable':
      return { p1: INSTALL_P1.makeSelectable, p2: 0 };
    case 'extradition':
      return { p1: INSTALL_P1.extradition, p2: 0 };
    case 'registry-update':
      return { p1: INSTALL_P1.registryUpdate, p2: 0 };
    case 'personalization':
      return { p1: INSTALL_P1.personalization, p2: 0 };
  }
}

function aidField(w: ByteWriter, aid: Uint8Array | undefined, name: string): void {
  if (aid === undefined) w.u8(0);
  else {
    assertAid(aid, name);
    w.lv(aid);
  }
}

function gpField(w: ByteWriter, value: Uint8Array | undefined, name: string): void {
  const v = value ?? EMPTY;
  assertBytes(v, undefined, name);
  w.bytes(encodeGpLength(v.length)).bytes(v);
}

function privilegesField(w: ByteWriter, privileges: Uint8Array | undefined, optional: boolean): void {
  if (privileges === undefined && optional) {
    w.u8(0);
    return;
  }
  assertBytes(privileges, [1, 3], 'privileges'); // Tables 11-43, 11-44: length '01' or '03'
  w.lv(privileges);
}

type Layout<K extends InstallRequest['kind']> = (w: ByteWriter, r: Extract<InstallRequest, { kind: K }>) => void;

/** The LV layout of each variant before the token field, as data (Tables 11-42..11-47). */
const LAYOUTS: { readonly [K in InstallRequest['kind']]: Layout<K> } = {
  load: (w, r) => {
    // Table 11-42
    aidField(w, r.loadFileAid, 'load file AID');
    aidField(w, r.securityDomainAid, 'security domain AID');
    if (r.lfdbHash !== undefined && r.lfdbHash.length > 0x7f) throw badArgument('LFDB hash: at most 127 bytes');
    w.lv(r.lfdbHash ?? EMPTY, 'LFDB hash');
    gpField(w, r.parameters, 'load parameters');
  },
  install: (w, r) => {
    // Table 11-43; the load file AID may be empty only in the combined command
    if (r.loadFileAid === undefined && r.combined !== true) throw badArgument('INSTALL [for install]: load file AID required');
    aidField(w, r.loadFileAid, 'load file AID');
    aidField(w, r.moduleAid, 'module AID');
    aidField(w, r.applicationAid, 'application AID');
    privilegesField(w, r.privileges, false);
    if (!r.makeSelectable && r.combined !== true && hasPrivilege(r.privileges, 'CardReset')) {
      throw badArgument('INSTALL [for install]: Card Reset needs make selectable in the same command (§11.5.2.3.2)');
    }
    if (r.parameters.length < 2) throw badArgument('INSTALL [for install]: parameters must hold C9 (Table 11-49)');
    gpField(w, r.parameters, 'install parameters');
  },
  'make-selectable': (w, r) => {
    // Table 11-44
    w.u8(0).u8(0);
    aidField(w, r.applicationAid, 'application AID');
    privilegesField(w, r.privileges, false);
    gpField(w, r.parameters, 'make selectable parameters');
  },
  extradition: (w, r) => {
    // Table 11-45
    aidField(w, r.securityDomainAid, 'security domain AID');
    w.u8(0);
    aidField(w, r.aid, 'application or load file AID');
    w.u8(0);
    gpField(w, r.parameters, 'extradition parameters');
  },
  'registry-update': (w, r) => {
    // Table 11-46
    aidField(w, r.securityDomainAid, 'security domain AID');
    w.u8(0);
    aidField(w, r.applicationAid, 'application AID');
    privilegesField(w, r.privileges, true);
    gpField(w, r.parameters, 'registry update parameters');
  },
  personalization: (w, r) => {
    // Table 11-47: 00 00 len AID 00 00 00 (no token field)
    w.u8(0).u8(0);
    aidField(w, r.applicationAid, 'application AID');
    w.u8(0).u8(0).u8(0);
  },
};

/**
 * The command data without the token field (what a token signs, Appendix C.4), per
 * Tables 11-42..11-47.
 */
export function installDataWithoutToken(request: InstallRequest): Uint8Array {
  const w = new ByteWriter();
  const layout = LAYOUTS[request.kind] as Layout<InstallRequest['kind']> | undefined;
  if (layout === undefined) throw badArgument(`INSTALL: unknown kind ${String(request.kind)}`);
  layout(w, request);
  return w.toBytes();
}

/**
 * Builds an INSTALL command (GPC 2.3.1 §11.5, Tables 11-40..11-47): `80 E6 P1 P2 Lc data 00`. The
 * result may exceed 255 data bytes: wrap it, then split it with `splitGpChain` (§11.1.5.1).
 * @example buildInstall({ kind: 'personalization', applicationAid }) // 80 E6 20 00 0D 00 00 07 <AID> 00 00 00 00
 */
export function buildInstall(request: InstallRequest, options: { cla?: number } = {}): CommandApdu {
  const { p1, p2 } = installP1P2(request);
  let data = installDataWithoutToken(request);
  if (request.kind !== 'personalization') {
    const token = request.token ?? EMPTY;
    assertBytes(token, undefined, 'token');
    data = concat(data, encodeGpLength(token.length), token); // token length: BER (§11.5.2.3.1)
  }
  return commandApdu({ cla: gpCla(options.cla), ins: INS.INSTALL, p1, p2, data, ne: 256 });
}

/** The Delegated Management token input for an INSTALL request (Appendix C.4.1–C.4.5, C.4.7). */
export function installTokenData(request: Exclude<InstallRequest, { kind: 'personalization' }>): Uint8Array {
  const { p1, p2 } = installP1P2(request);
  return dmTokenData(p1, p2, installDataWithoutToken(request));
}
