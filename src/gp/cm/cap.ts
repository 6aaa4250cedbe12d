import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { assertBytes, assertInt, concat } from '../../bytes/index.ts';
import { GpError } from '../errors.ts';
import {
  CAP_EXCLUDED,
  CAP_LOAD_ORDER,
  capError,
  checkComponent,
  MAX_COMPONENT_LENGTH,
  parseCapApplets,
  parseCapHeader,
  type CapHeader,
} from './cap-components.ts';

/** Default cap on the zip size and on the declared size of the components we inflate (8 MiB). */
export const CAP_MAX_SIZE = 8 * 1024 * 1024;
/** Most zip entries we look at; a larger directory is refused before anything is inflated. */
const MAX_ENTRIES = 1024;
/** Deflate never grows data by more than a few bytes per 64 KiB block; more than this is not a CAP. */
const DEFLATE_SLACK = 1024;
const COMPONENT_PATH = /^(?:(.*)\/)?javacard\/([A-Za-z]+)\.cap$/;

/** Hash algorithms for the Load File Data Block Hash (GPC 2.3.1 Appendix C.2, Table C-3). */
export type LfdbHashAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** A CAP file read for loading. */
export interface CapFile {
  readonly kind: 'cap-file';
  readonly header: CapHeader;
  /** The package AID: the Load File AID of INSTALL [for load]. */
  readonly packageAid: Uint8Array;
  /** Applet AIDs from the Applet component (the Executable Module AIDs). */
  readonly appletAids: readonly Uint8Array[];
  /** Each component found, raw (tag, size, info), by name, including excluded ones. */
  readonly components: ReadonlyMap<string, Uint8Array>;
  /** The Load File Data Block: the loadable components concatenated in {@link CAP_LOAD_ORDER}. */
  readonly loadFileDataBlock: Uint8Array;
  /** LFDB hashes for INSTALL [for load] (SHA-256 by default; SHA-1 for old cards). */
  readonly lfdbSha256: Uint8Array;
  readonly lfdbSha1: Uint8Array;
}

/**
 * The Load File Data Block Hash (GPC 2.3.1 Appendix C.2): over the LFDB only, without 'C4' and its
 * length; the algorithm follows Table C-3.
 */
export function lfdbHash(lfdb: Uint8Array, algorithm: LfdbHashAlgorithm): Uint8Array {
  assertBytes(lfdb, undefined, 'LFDB');
  if (!['sha1', 'sha256', 'sha384', 'sha512'].includes(algorithm)) throw capError(`unknown LFDB hash ${String(algorithm)}`);
  return new Uint8Array(createHash(algorithm).update(lfdb).digest());
}

interface Entry {
  readonly dir: string;
  readonly component: string;
}

interface Wanted {
  readonly name: string;
  /** Uncompressed size from the zip directory. */
  readonly size: number;
}

/** Pass 1: list entries without inflating; keep the CAP components, check their declared sizes. */
function selectComponents(zip: Uint8Array, maxSize: number): Map<string, Wanted> {
  const known = new Map<string, number>([...CAP_LOAD_ORDER, ...CAP_EXCLUDED]);
  const wanted = new Map<string, Wanted>(); // zip path → component
  const dirs = new Set<string>();
  let entries = 0;
  let declared = 0;
  unzipSync(zip, {
    filter: (file) => {
      if (++entries > MAX_ENTRIES) throw capError(`CAP: more than ${MAX_ENTRIES} zip entries`);
      const m = COMPONENT_PATH.exec(file.name);
      if (m === null) return false;
      const entry: Entry = { dir: m[1] ?? '', component: m[2]! };
      if (!known.has(entry.component)) throw capError(`CAP: unsupported component ${entry.component} (Java Card 3.1 extended CAPs are not handled)`);
      if ([...wanted.values()].some((w) => w.name === entry.component)) throw capError(`CAP: ${entry.component} appears twice`);
      dirs.add(entry.dir);
      if (dirs.size > 1) throw capError('CAP: components of more than one package');
      if (file.originalSize > MAX_COMPONENT_LENGTH) throw capError(`CAP ${entry.component}: ${file.originalSize} bytes (a component is at most 65538)`);
      if (file.compression !== 0 && file.compression !== 8) throw capError(`CAP ${entry.component}: zip compression method ${file.compression}`);
      if (file.size > file.originalSize + DEFLATE_SLACK) throw capError(`CAP ${entry.component}: compressed size does not fit the declared size`);
      declared += file.originalSize;
      if (declared > maxSize) throw capError(`CAP: components exceed ${maxSize} bytes`);
      wanted.set(file.name, { name: entry.component, size: file.originalSize });
      return false;
    },
  });
  return wanted;
}

/** Both passes; every component inflated to exactly its declared size, by component name. */
function extractComponents(zip: Uint8Array, maxSize: number): Map<string, Uint8Array> {
  let files: Record<string, Uint8Array>;
  let wanted: Map<string, Wanted>;
  try {
    wanted = selectComponents(zip, maxSize);
    files = unzipSync(zip, { filter: (file) => wanted.has(file.name) }); // pass 2: inflate only those
  } catch (e) {
    if (e instanceof GpError) throw e;
    throw capError(`CAP: not a readable zip (${e instanceof Error ? e.message : String(e)})`, e);
  }
  const components = new Map<string, Uint8Array>();
  for (const [path, { name, size }] of wanted) {
    const bytes = files[path];
    if (bytes === undefined) throw capError(`CAP ${name}: entry could not be read`);
    if (bytes.length !== size) throw capError(`CAP ${name}: inflated to ${bytes.length} bytes, the zip declares ${size}`);
    components.set(name, bytes);
  }
  return components;
}

/**
 * Reads a CAP file (a zip) into a Load File Data Block (gp.md §4.14): finds `…/javacard/*.cap`,
 * checks each component's tag and size, concatenates Header, Directory, Import, Applet, Class,
 * Method, StaticField, Export, ConstantPool, RefLocation (Descriptor and Debug excluded, absent
 * ones skipped), and takes the package and applet AIDs from Header and Applet. Hostile input (not a
 * zip, no Header, bad sizes, several packages, more than `maxSize` bytes declared or inflated, a
 * deflate stream that does not inflate to its declared size) is `ERR_GP_CAP`.
 * @example const cap = parseCapFile(readFileSync('applet.cap')); toHex(cap.lfdbSha256)
 */
export function parseCapFile(zip: Uint8Array, options: { maxSize?: number } = {}): CapFile {
  assertBytes(zip, undefined, 'CAP file');
  const maxSize = options.maxSize ?? CAP_MAX_SIZE;
  assertInt(maxSize, 1, 1 << 30, 'maxSize');
  if (zip.length > maxSize) throw capError(`CAP: zip of ${zip.length} bytes exceeds ${maxSize}`);
  if (zip.length < 22) throw capError('CAP: not a zip file (no end of central directory)');
  const components = extractComponents(zip, maxSize);
  for (const [name, tag] of [...CAP_LOAD_ORDER, ...CAP_EXCLUDED]) {
    const bytes = components.get(name);
    if (bytes !== undefined) checkComponent(name, tag, bytes);
  }
  const headerBytes = components.get('Header');
  if (headerBytes === undefined) throw capError('CAP: no Header component');
  const header = parseCapHeader(headerBytes);
  const applet = components.get('Applet');
  const lfdb = concat(...CAP_LOAD_ORDER.flatMap(([name]) => components.get(name) ?? []));
  return Object.freeze({
    kind: 'cap-file',
    header,
    packageAid: header.packageAid,
    appletAids: applet === undefined ? Object.freeze([]) : parseCapApplets(applet),
    components,
    loadFileDataBlock: lfdb,
    lfdbSha256: lfdbHash(lfdb, 'sha256'),
    lfdbSha1: lfdbHash(lfdb, 'sha1'),
  });
}
