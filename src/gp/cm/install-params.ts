import { assertBytes, assertInt, readUintBe, uintBe } from '../../bytes/index.ts';
import { encodeTlvList, parseTlvList, tlv, type Tlv } from '../../tlv/index.ts';
import { badArgument, badData, guardCard } from './fail.ts';
import { decodeImplicitSelection, encodeImplicitSelection, type ImplicitSelection } from './implicit-selection.ts';

/**
 * System Specific Parameters, template 'EF', for the INSTALL variants (GPC 2.3.1 §11.5.2.3.7,
 * Tables 11-48..11-52). One field set covers all variants; each table allows a subset. Memory sizes
 * are 2-byte integers up to 32767 and 4-byte above (§11.5.2.3.7, §9.7).
 */
export interface SystemParameters {
  /** 'C6': non-volatile code minimum (load, Table 11-48). */
  readonly nonVolatileCode?: number;
  /** 'C8': non-volatile data minimum (load) or quota (install). */
  readonly nonVolatileMemory?: number;
  /** 'C7': volatile data minimum (load) or quota (install). */
  readonly volatileMemory?: number;
  /** 'D8': non-volatile reserved memory (install). */
  readonly nonVolatileReserved?: number;
  /** 'D7': volatile reserved memory (install). */
  readonly volatileReserved?: number;
  /** 'CB': global service parameters, 2-byte entries (install, registry update; §8.1.3). */
  readonly globalService?: Uint8Array;
  /** 'CA': ETSI TS 102 226 specific parameter (install), e.g. UICC toolkit parameters. */
  readonly ts102226?: Uint8Array;
  /** 'CD': Load File Data Block format id (load). */
  readonly lfdbFormat?: number;
  /** 'DD': Load File Data Block parameters (load). */
  readonly lfdbParameters?: Uint8Array;
  /** 'CF' (repeatable): implicit selection (install+make selectable, make selectable, registry update). */
  readonly implicitSelection?: readonly ImplicitSelection[];
  /** 'D9': restrict parameter (registry update, Table 11-53); see {@link RESTRICT}. */
  readonly restrict?: number;
}

type Coding = 'memory' | 'bytes' | 'byte';

/**
 * Tag, field and coding of each system parameter, in the order we write them. C8 before C7 matches
 * pySim's install-parameter generator (the published vector `EF1CC8020100C7020100CA12…`); parsers
 * accept any order.
 */
const SYSTEM_FIELDS = [
  [0xc6, 'nonVolatileCode', 'memory'],
  [0xc8, 'nonVolatileMemory', 'memory'],
  [0xc7, 'volatileMemory', 'memory'],
  [0xd8, 'nonVolatileReserved', 'memory'],
  [0xd7, 'volatileReserved', 'memory'],
  [0xcb, 'globalService', 'bytes'],
  [0xca, 'ts102226', 'bytes'],
  [0xcd, 'lfdbFormat', 'byte'],
  [0xdd, 'lfdbParameters', 'bytes'],
  [0xd9, 'restrict', 'byte'],
] as const satisfies readonly (readonly [number, keyof SystemParameters, Coding])[];

/** Restrict parameter 'D9' bits (Table 11-53): the functions a registry update disables. */
export const RESTRICT = {
  registryUpdate: 0x40,
  personalization: 0x20,
  extradition: 0x10,
  makeSelectable: 0x08,
  install: 0x04,
  load: 0x02,
  delete: 0x01,
} as const;

/** Memory sizes: 2 bytes up to 32767, else 4 (§11.5.2.3.7). */
function encodeMemory(value: number, what: string): Uint8Array {
  assertInt(value, 0, 0xffffffff, what);
  return uintBe(value, value <= 0x7fff ? 2 : 4, what);
}

function encodeSystem(p: SystemParameters): Tlv | undefined {
  const kids: Tlv[] = [];
  for (const [tag, field, coding] of SYSTEM_FIELDS) {
    const v = p[field];
    if (v === undefined) continue;
    if (coding === 'memory') kids.push(tlv(tag, encodeMemory(v as number, field)));
    else if (coding === 'byte') {
      assertInt(v, 0, 0xff, field);
      kids.push(tlv(tag, Uint8Array.of(v)));
    } else {
      assertBytes(v, undefined, field);
      if (field === 'globalService' && v.length % 2 !== 0) throw badArgument('globalService: 2-byte entries (§8.1.3)');
      kids.push(tlv(tag, v));
    }
  }
  for (const s of p.implicitSelection ?? []) kids.push(tlv(0xcf, Uint8Array.of(encodeImplicitSelection(s))));
  return kids.length === 0 ? undefined : tlv(0xef, kids);
}

/** Decoded INSTALL parameters of any variant (Tables 11-48..11-52). */
export interface InstallParameters {
  /** 'C9' value: application specific parameters (mandatory for INSTALL [for install], Table 11-49). */
  readonly applicationSpecific?: Uint8Array;
  /** 'EF' content. */
  readonly system?: SystemParameters;
  /** 'EA': ETSI TS 102 226 specific template, encoded content. */
  readonly uiccTemplate?: Uint8Array;
  /** 'B6': control reference template for digital signature (token), encoded content. */
  readonly tokenCrt?: Uint8Array;
}

/**
 * Encodes a parameters field (GPC 2.3.1 §11.5.2.3.7): `C9` (when `applicationSpecific` is given),
 * `EF { … }` (when any system parameter is), `EA`, `B6`. For INSTALL [for install] pass
 * `applicationSpecific` (an empty array gives `C9 00`, Table 11-49 makes C9 mandatory).
 * @example encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }) // C9 00
 */
export function encodeInstallParameters(p: InstallParameters): Uint8Array {
  const nodes: Tlv[] = [];
  if (p.applicationSpecific !== undefined) nodes.push(tlv(0xc9, p.applicationSpecific));
  const system = p.system === undefined ? undefined : encodeSystem(p.system);
  if (system !== undefined) nodes.push(system);
  if (p.uiccTemplate !== undefined) nodes.push(tlv(0xea, p.uiccTemplate));
  if (p.tokenCrt !== undefined) nodes.push(tlv(0xb6, p.tokenCrt));
  return encodeTlvList(nodes);
}

function decodeSystem(ef: Tlv): SystemParameters {
  const out: Record<string, unknown> = {};
  const cf: ImplicitSelection[] = [];
  for (const node of ef.children ?? []) {
    if (node.tag === 0xcf) {
      if (node.value.length !== 1) throw badData('install parameters: CF must be one byte');
      cf.push(decodeImplicitSelection(node.value[0]!));
      continue;
    }
    const row = SYSTEM_FIELDS.find(([tag]) => tag === node.tag);
    if (row === undefined) continue; // §11.5.2.3.7: system parameters may be ignored
    const [, field, coding] = row;
    if (field in out) throw badData(`install parameters: duplicate ${field}`);
    const v = node.value;
    if (coding === 'memory' && v.length !== 2 && v.length !== 4) throw badData(`install parameters: ${field} must be 2 or 4 bytes`);
    if (coding === 'byte' && v.length !== 1) throw badData(`install parameters: ${field} must be 1 byte`);
    out[field] = coding === 'bytes' ? v.slice() : readUintBe(v);
  }
  if (cf.length > 0) out.implicitSelection = Object.freeze(cf);
  return Object.freeze(out);
}

/**
 * Card side: decodes a parameters field (any INSTALL variant). It must be BER-TLV (6A80 otherwise);
 * unknown tags are ignored, as the card may ignore system parameters (§11.5.2.3.7).
 */
export function parseInstallParameters(bytes: Uint8Array): InstallParameters {
  assertBytes(bytes, undefined, 'install parameters');
  return guardCard('install parameters', () => {
    const out: Record<string, unknown> = {};
    for (const node of parseTlvList(bytes)) {
      const key = node.tag === 0xc9 ? 'applicationSpecific' : node.tag === 0xea ? 'uiccTemplate' : node.tag === 0xb6 ? 'tokenCrt' : node.tag === 0xef ? 'system' : undefined;
      if (key === undefined) continue;
      if (key in out) throw badData(`install parameters: duplicate ${key}`);
      out[key] = node.tag === 0xef ? decodeSystem(node) : node.value.slice();
    }
    return Object.freeze(out);
  });
}
