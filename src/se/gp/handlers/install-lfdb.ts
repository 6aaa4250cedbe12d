/**
 * What the card reads out of a Java Card Load File Data Block (GPC 2.3.1 §9.3.1: "the Load File
 * Data Block may also contain information on ... its name, version number and size"): the CAP
 * components concatenated as `tag u1, size u2, info` (JCVM 2.2 §6.1), of which the Header gives the
 * package AID and version, the Applet component the Executable Module AIDs, and the Import
 * component the packages this one links against. Malformed data is 6A80.
 */
import { SW } from '../../../apdu/index.ts';
import { ByteReader } from '../../../bytes/index.ts';
import { AID_MAX_LENGTH, AID_MIN_LENGTH, parseCapApplets, parseCapHeader } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';

/** CAP component tags the card reads (JCVM 2.2 Table 6-1). */
const HEADER = 1;
const APPLET = 3;
const IMPORT = 4;

/** The registry-relevant content of a Load File Data Block. */
export interface LfdbContent {
  readonly packageAid: Uint8Array;
  /** Package major.minor: the Executable Load File version (Table 11-37 note 1). */
  readonly version: Uint8Array;
  readonly moduleAids: readonly Uint8Array[];
  /** AIDs of the imported packages (JCVM 2.2 §6.6). */
  readonly imports: readonly Uint8Array[];
}

function bad(message: string): CardException {
  return new CardException(SW.INCORRECT_DATA, `Load File Data Block: ${message}`);
}

/** Splits the LFDB into its components (each with tag and size), refusing a repeated tag. */
function components(lfdb: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const r = new ByteReader(lfdb, 'Load File Data Block');
  while (!r.done) {
    const start = r.offset;
    const tag = r.u8('component tag');
    const size = r.u16('component size');
    r.bytes(size, 'component info');
    if (out.has(tag)) throw bad(`component ${tag} appears twice`);
    out.set(tag, lfdb.subarray(start, r.offset));
  }
  return out;
}

/** Import component (JCVM 2.2 §6.6): `u1 count, { u1 minor, u1 major, u1 AID_length, AID }*`. */
function imports(component: Uint8Array | undefined): readonly Uint8Array[] {
  if (component === undefined) return [];
  const r = new ByteReader(component.subarray(3), 'CAP Import');
  const out: Uint8Array[] = [];
  for (let n = r.u8('import count'); n > 0; n--) {
    r.u16('package version');
    const aid = r.lv('package AID');
    if (aid.length < AID_MIN_LENGTH || aid.length > AID_MAX_LENGTH) throw bad(`imported package AID of ${aid.length} bytes`);
    out.push(aid.slice());
  }
  r.end();
  return out;
}

/** Reads package AID, version, module AIDs and imports from a Java Card LFDB (6A80 when it is not one). */
export function readLfdb(lfdb: Uint8Array): LfdbContent {
  try {
    const parts = components(lfdb);
    const header = parts.get(HEADER);
    if (header === undefined) throw bad('no Header component');
    const h = parseCapHeader(header);
    const applet = parts.get(APPLET);
    return {
      packageAid: h.packageAid,
      version: Uint8Array.of(h.packageVersion.major, h.packageVersion.minor),
      moduleAids: applet === undefined ? [] : parseCapApplets(applet),
      imports: imports(parts.get(IMPORT)),
    };
  } catch (e) {
    if (e instanceof CardException) throw e;
    throw bad(e instanceof Error ? e.message : String(e));
  }
}

/** The package AIDs a stored LFDB imports, or none when it cannot be read (preloaded files keep no LFDB). */
export function importsOf(lfdb: Uint8Array | undefined): readonly Uint8Array[] {
  if (lfdb === undefined) return [];
  try {
    return readLfdb(lfdb).imports;
  } catch {
    return [];
  }
}
