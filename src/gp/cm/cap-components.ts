import { ByteReader } from '../../bytes/index.ts';
import { GpError } from '../errors.ts';
import { validAidLength } from './aid.ts';

/**
 * Java Card CAP components (Java Card VM Specification 2.2.x §6.1, Table 6-1: tag per component),
 * in the order they form the Load File Data Block (GPC 2.3.1 §11.6.2.3 / Appendix C.2 via
 * GlobalPlatformPro's `CAPFile.getCode()`; gp.md §4.14). Descriptor (11) and Debug (12) are
 * excluded; absent ones are skipped.
 */
export const CAP_LOAD_ORDER = [
  ['Header', 1],
  ['Directory', 2],
  ['Import', 4],
  ['Applet', 3],
  ['Class', 6],
  ['Method', 7],
  ['StaticField', 8],
  ['Export', 10],
  ['ConstantPool', 5],
  ['RefLocation', 9],
] as const;

/** Components a CAP may hold that are not loaded to the card. */
export const CAP_EXCLUDED = [
  ['Descriptor', 11],
  ['Debug', 12],
] as const;

/** A CAP component name (JCVM §6.1). */
export type CapComponentName = (typeof CAP_LOAD_ORDER)[number][0] | (typeof CAP_EXCLUDED)[number][0];

/** The CAP magic number (JCVM §6.4 header_component.magic). */
const CAP_MAGIC = 0xdecaffed;
/** A component is tag (1), size (2), info: at most 3 + 65535 bytes (JCVM §6.1). */
export const MAX_COMPONENT_LENGTH = 3 + 0xffff;

/** An `ERR_GP_CAP` error (hostile or unsupported CAP file). */
export function capError(message: string, cause?: unknown): GpError {
  return new GpError('ERR_GP_CAP', message, cause === undefined ? undefined : { cause });
}

/** Checks `tag u2-size info` framing (JCVM §6.1): the tag matches and the size covers exactly the rest. */
export function checkComponent(name: string, tag: number, bytes: Uint8Array): void {
  if (bytes.length < 3) throw capError(`CAP ${name}: ${bytes.length} bytes, too short for tag and size`);
  if (bytes[0] !== tag) throw capError(`CAP ${name}: tag ${bytes[0]} where ${tag} is expected`);
  const size = (bytes[1]! << 8) | bytes[2]!;
  if (size !== bytes.length - 3) throw capError(`CAP ${name}: size field ${size}, component holds ${bytes.length - 3} bytes`);
}

/** What the Header component says about the package (JCVM §6.4). */
export interface CapHeader {
  readonly capVersion: { readonly major: number; readonly minor: number };
  readonly flags: number;
  readonly packageVersion: { readonly major: number; readonly minor: number };
  readonly packageAid: Uint8Array;
}

function guardComponent<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof GpError) throw e;
    throw capError(`CAP ${name}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

/**
 * Parses the Header component (JCVM §6.4): `u4 magic, u1 minor, u1 major, u1 flags, package_info
 * { u1 minor, u1 major, u1 AID_length, AID }`, then optional data we do not need.
 */
export function parseCapHeader(component: Uint8Array): CapHeader {
  return guardComponent('Header', () => {
    const r = new ByteReader(component.subarray(3), 'CAP Header');
    if (r.u32('magic') !== CAP_MAGIC) throw capError('CAP Header: magic is not DECAFFED');
    const capMinor = r.u8('CAP minor version');
    const capMajor = r.u8('CAP major version');
    const flags = r.u8('flags');
    const minor = r.u8('package minor version');
    const major = r.u8('package major version');
    const aid = r.lv('package AID');
    if (!validAidLength(aid.length)) throw capError(`CAP Header: package AID of ${aid.length} bytes`);
    return Object.freeze({
      capVersion: Object.freeze({ major: capMajor, minor: capMinor }),
      flags,
      packageVersion: Object.freeze({ major, minor }),
      packageAid: aid.slice(),
    });
  });
}

/** Parses the Applet component (JCVM §6.5): `u1 count, { u1 AID_length, AID, u2 install_method_offset }*`. */
export function parseCapApplets(component: Uint8Array): readonly Uint8Array[] {
  return guardComponent('Applet', () => {
    const r = new ByteReader(component.subarray(3), 'CAP Applet');
    const count = r.u8('applet count');
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const aid = r.lv('applet AID');
      if (!validAidLength(aid.length)) throw capError(`CAP Applet: applet AID of ${aid.length} bytes`);
      r.u16('install method offset');
      out.push(aid.slice());
    }
    r.end();
    return Object.freeze(out);
  });
}
