import { ByteReader, ByteWriter, assertBytes, assertInt } from '../../bytes/index.ts';
import { encodeTlvList, parseTlvList, tlv, type Tlv } from '../../tlv/index.ts';
import { assertAid, validAidLength } from './aid.ts';
import { badResponse, guardHost } from './fail.ts';
import type { GetStatusFormat, GetStatusScope } from './get-status.ts';
import { decodeImplicitSelection, encodeImplicitSelection, type ImplicitSelection } from './implicit-selection.ts';

/**
 * One GlobalPlatform Registry entry as GET STATUS reports it (GPC 2.3.1 §11.4.3, Tables 11-36 and
 * 11-37; the legacy layout of GP 2.1.1 §9.4.3 for P2 b2 = 0). Absent objects are undefined / empty.
 */
export interface RegistryEntry {
  readonly kind: 'registry-entry';
  /** '4F'. */
  readonly aid: Uint8Array;
  /** '9F70': read with the table of the scope (card for the ISD, application/SD, load file). */
  readonly lifecycle: number;
  /** 'C5': 3 bytes per Table 11-36, 1 byte on older cards (kept as received). */
  readonly privileges: Uint8Array | undefined;
  /** Every 'CF' (Table 11-15). */
  readonly implicitSelection: readonly ImplicitSelection[];
  /** 'C4': the application's Executable Load File AID. */
  readonly loadFileAid: Uint8Array | undefined;
  /** 'CE': Executable Load File version (major, minor for Java Card). */
  readonly version: Uint8Array | undefined;
  /** Every '84': Executable Module AIDs (P1 = '10'). */
  readonly modules: readonly Uint8Array[];
  /** 'CC': associated Security Domain AID. */
  readonly domainAid: Uint8Array | undefined;
}

/** Fields a card gives {@link encodeRegistryEntries} (everything but `kind` optional except AID and life cycle). */
export type RegistryEntryFields = Partial<Omit<RegistryEntry, 'kind' | 'aid' | 'lifecycle'>> & Pick<RegistryEntry, 'aid' | 'lifecycle'>;

function entry(fields: RegistryEntryFields): RegistryEntry {
  return Object.freeze({
    kind: 'registry-entry',
    aid: fields.aid,
    lifecycle: fields.lifecycle,
    privileges: fields.privileges,
    implicitSelection: Object.freeze([...(fields.implicitSelection ?? [])]),
    loadFileAid: fields.loadFileAid,
    version: fields.version,
    modules: Object.freeze([...(fields.modules ?? [])]),
    domainAid: fields.domainAid,
  });
}

function aidOf(node: Tlv | undefined, what: string): Uint8Array | undefined {
  if (node === undefined) return undefined;
  if (!validAidLength(node.value.length)) throw badResponse(`GET STATUS: ${what} of ${node.value.length} bytes is not an AID`);
  return node.value.slice();
}

/** One 'E3' template (Tables 11-36, 11-37). Unknown tags are skipped (GPPro TestParseTags: 'EA'). */
function parseE3(node: Tlv): RegistryEntry {
  if (node.tag !== 0xe3 || node.children === undefined) throw badResponse('GET STATUS: expected E3 templates');
  const kids = node.children;
  const one = (tag: number): Tlv | undefined => kids.find((c) => c.tag === tag);
  const aid = aidOf(one(0x4f), '4F');
  const lifecycle = one(0x9f70)?.value;
  if (aid === undefined || lifecycle?.length !== 1) throw badResponse('GET STATUS: E3 needs 4F and a one-byte 9F70');
  const privileges = one(0xc5)?.value;
  if (privileges !== undefined && privileges.length !== 1 && privileges.length !== 3) {
    throw badResponse(`GET STATUS: C5 of ${privileges.length} bytes (1 or 3)`);
  }
  const cf = kids.filter((c) => c.tag === 0xcf).map((c) => {
    if (c.value.length !== 1 || (c.value[0]! & 0x1f) > 19) throw badResponse('GET STATUS: CF must be one byte, channel 0-19');
    return decodeImplicitSelection(c.value[0]!);
  });
  return entry({
    aid,
    lifecycle: lifecycle[0]!,
    privileges: privileges?.slice(),
    implicitSelection: cf,
    loadFileAid: aidOf(one(0xc4), 'C4'),
    version: one(0xce)?.value.slice(),
    modules: kids.filter((c) => c.tag === 0x84).map((c) => aidOf(c, '84')!),
    domainAid: aidOf(one(0xcc), 'CC'),
  });
}

/** Legacy layout (P2 b2 = 0): `len AID LCS priv [n (len AID)*]` repeated; modules only for P1 = '10'. */
function parseLegacy(data: Uint8Array, scope: GetStatusScope): RegistryEntry[] {
  const r = new ByteReader(data, 'GET STATUS legacy response');
  const out: RegistryEntry[] = [];
  while (!r.done) {
    const aid = r.lv('AID');
    if (!validAidLength(aid.length)) throw badResponse(`GET STATUS: legacy AID of ${aid.length} bytes`);
    const lifecycle = r.u8('life cycle');
    const privileges = Uint8Array.of(r.u8('privileges'));
    const modules: Uint8Array[] = [];
    if (scope === 'loadFilesAndModules') {
      const count = r.u8('module count');
      for (let i = 0; i < count; i++) {
        const m = r.lv('module AID');
        if (!validAidLength(m.length)) throw badResponse(`GET STATUS: legacy module AID of ${m.length} bytes`);
        modules.push(m.slice());
      }
    }
    const isLoadFile = scope === 'loadFiles' || scope === 'loadFilesAndModules';
    out.push(entry({ aid: aid.slice(), lifecycle, privileges: isLoadFile ? undefined : privileges, modules }));
  }
  return out;
}

/**
 * Parses a GET STATUS response body (GPC 2.3.1 §11.4.3.1). For the tag format every top-level
 * object must be 'E3'; the legacy format needs the scope to know whether module lists follow.
 * @example parseGetStatusResponse(data, { scope: 'isd' })[0]?.lifecycle // 0x07 (INITIALIZED)
 */
export function parseGetStatusResponse(data: Uint8Array, options: { scope: GetStatusScope; format?: GetStatusFormat }): readonly RegistryEntry[] {
  assertBytes(data, undefined, 'GET STATUS response');
  return guardHost('GET STATUS response', () =>
    Object.freeze(options.format === 'legacy' ? parseLegacy(data, options.scope) : parseTlvList(data).map(parseE3)),
  );
}

/** Card side: one 'E3' per entry, objects in the order of Tables 11-36 / 11-37. */
export function encodeRegistryEntries(entries: readonly RegistryEntryFields[]): Uint8Array {
  return encodeTlvList(entries.map((e) => {
    assertAid(e.aid, 'registry AID');
    assertInt(e.lifecycle, 0, 0xff, 'life cycle');
    const kids: Tlv[] = [tlv(0x4f, e.aid), tlv(0x9f70, Uint8Array.of(e.lifecycle))];
    if (e.privileges !== undefined) kids.push(tlv(0xc5, e.privileges));
    for (const s of e.implicitSelection ?? []) kids.push(tlv(0xcf, Uint8Array.of(encodeImplicitSelection(s))));
    if (e.loadFileAid !== undefined) kids.push(tlv(0xc4, e.loadFileAid));
    if (e.version !== undefined) kids.push(tlv(0xce, e.version));
    for (const m of e.modules ?? []) kids.push(tlv(0x84, m));
    if (e.domainAid !== undefined) kids.push(tlv(0xcc, e.domainAid));
    return tlv(0xe3, kids);
  }));
}

/** Card side: the legacy layout (see {@link parseGetStatusResponse}); privileges byte 1 only. */
export function encodeLegacyRegistryEntries(entries: readonly RegistryEntryFields[], scope: GetStatusScope): Uint8Array {
  const w = new ByteWriter();
  for (const e of entries) {
    assertAid(e.aid, 'registry AID');
    w.lv(e.aid).u8(e.lifecycle, 'life cycle').u8(e.privileges?.[0] ?? 0, 'privileges');
    if (scope === 'loadFilesAndModules') {
      const modules = e.modules ?? [];
      w.u8(modules.length, 'module count');
      for (const m of modules) w.lv(m, 'module AID');
    }
  }
  return w.toBytes();
}
