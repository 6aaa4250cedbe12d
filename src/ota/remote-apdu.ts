/**
 * The remote APDU formats of ETSI TS 102 226 §5 — what the secured data of an SCP80 (or SCP81)
 * packet holds for a RAM/RFM target, and what the PoR's additional data answers.
 *
 * - Compact (§5.1): C-APDUs back to back in their T=0 form `CLA INS P1 P2 P3 [data]`; the answer is
 *   `executed(1) SW(2) data` of the last one (`compact-response.ts`).
 * - Expanded (§5.2): a Command Scripting Template, tag AA (definite length) or AE (indefinite:
 *   length byte 80, ends with 00 00), holding C-APDU TLVs (22), Immediate Action (81), Error Action
 *   (82) and Script Chaining (83); the answer is a Response Scripting Template AB / AF holding the
 *   number of executed commands (80), one R-APDU TLV (23: data SW1 SW2) per executed command, an
 *   Immediate Action Response (81) and Bad Format (90) [M: tag values from ota.md §2, not checked
 *   against the ETSI text].
 * The secured data is expanded when its first byte is AA or AE, compact otherwise [M].
 */
import { assertBytes, assertInt, concat } from '../bytes/index.ts';
import { guard, OtaError } from './errors.ts';

/** The tags of §5.2. */
export const REMOTE_TAG = Object.freeze({
  COMMAND_SCRIPT: 0xaa,
  COMMAND_SCRIPT_INDEFINITE: 0xae,
  RESPONSE_SCRIPT: 0xab,
  RESPONSE_SCRIPT_INDEFINITE: 0xaf,
  C_APDU: 0x22,
  R_APDU: 0x23,
  IMMEDIATE_ACTION: 0x81,
  ERROR_ACTION: 0x82,
  SCRIPT_CHAINING: 0x83,
  EXECUTED_COMMANDS: 0x80,
  BAD_FORMAT: 0x90,
} as const);

/** Definite (AA / AB) or indefinite (AE / AF) template length. */
export type TemplateLength = 'definite' | 'indefinite';

/** One element of a Command Scripting Template. */
export type CommandScriptItem =
  | { readonly kind: 'c-apdu'; readonly apdu: Uint8Array }
  | { readonly kind: 'immediate-action'; readonly value: Uint8Array }
  | { readonly kind: 'error-action'; readonly value: Uint8Array }
  | { readonly kind: 'script-chaining'; readonly value: Uint8Array };

/** A decoded Command Scripting Template. */
export interface CommandScript {
  readonly kind: 'ota-command-script';
  readonly length: TemplateLength;
  readonly items: readonly CommandScriptItem[];
}

/** What a Response Scripting Template holds. */
export interface ResponseScript {
  readonly kind: 'ota-response-script';
  readonly length: TemplateLength;
  /** Number of executed C-APDUs (tag 80). */
  readonly executed: number;
  /** Each executed command's response: data then SW1 SW2 (tag 23). */
  readonly responses: readonly Uint8Array[];
  /** Immediate Action Response (tag 81), when the script had one. */
  readonly immediateActionResponse?: Uint8Array | undefined;
  /** Bad Format (tag 90): the card could not parse the script. */
  readonly badFormat?: Uint8Array | undefined;
}

const ITEM_TAG: Readonly<Record<CommandScriptItem['kind'], number>> = {
  'c-apdu': REMOTE_TAG.C_APDU,
  'immediate-action': REMOTE_TAG.IMMEDIATE_ACTION,
  'error-action': REMOTE_TAG.ERROR_ACTION,
  'script-chaining': REMOTE_TAG.SCRIPT_CHAINING,
};

/** A BER length (ISO/IEC 8825-1 §8.1.3): one byte up to 7F, 81 xx, 82 xxxx. */
function berLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  throw new OtaError('ERR_OTA_LENGTH', `remote APDU: a TLV of ${n} octets`);
}

function tlv(tag: number, value: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(tag), berLength(value.length), value);
}

function template(tag: number, indefiniteTag: number, length: TemplateLength, content: Uint8Array): Uint8Array {
  if (length === 'indefinite') return concat(Uint8Array.of(indefiniteTag, 0x80), content, Uint8Array.of(0, 0));
  return tlv(tag, content);
}

/**
 * Encodes a Command Scripting Template (§5.2.1).
 * @example encodeCommandScript([{ kind: 'c-apdu', apdu: fromHex('80CAFF2100') }], { length: 'indefinite' }) // AE80 2205 80CAFF2100 0000
 */
export function encodeCommandScript(items: readonly CommandScriptItem[], options: { length: TemplateLength }): Uint8Array {
  return guard(() => {
    const content = concat(...items.map((i) => tlv(ITEM_TAG[i.kind], i.kind === 'c-apdu' ? i.apdu : i.value)));
    return template(REMOTE_TAG.COMMAND_SCRIPT, REMOTE_TAG.COMMAND_SCRIPT_INDEFINITE, options.length, content);
  });
}

/** Encodes a Response Scripting Template (§5.2.2): 80 executed, then the R-APDUs, then 81 / 90 if present. */
export function encodeResponseScript(response: Omit<ResponseScript, 'kind'>): Uint8Array {
  return guard(() => {
    assertInt(response.executed, 0, 0xff, 'number of executed commands');
    const parts = [tlv(REMOTE_TAG.EXECUTED_COMMANDS, Uint8Array.of(response.executed)), ...response.responses.map((r) => tlv(REMOTE_TAG.R_APDU, r))];
    if (response.immediateActionResponse !== undefined) parts.push(tlv(REMOTE_TAG.IMMEDIATE_ACTION, response.immediateActionResponse));
    if (response.badFormat !== undefined) parts.push(tlv(REMOTE_TAG.BAD_FORMAT, response.badFormat));
    return template(REMOTE_TAG.RESPONSE_SCRIPT, REMOTE_TAG.RESPONSE_SCRIPT_INDEFINITE, response.length, concat(...parts));
  });
}

interface RawTlv {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** Reads one TLV with a one-byte tag and a definite BER length at `at`. */
function readTlv(data: Uint8Array, at: number, end: number): { tlv: RawTlv; next: number } {
  if (at + 2 > end) throw new OtaError('ERR_OTA_PARSE', 'remote APDU: truncated TLV');
  const tag = data[at]!;
  if ((tag & 0x1f) === 0x1f) throw new OtaError('ERR_OTA_PARSE', `remote APDU: multi-byte tag ${tag.toString(16)}`);
  let len = data[at + 1]!;
  let p = at + 2;
  if (len === 0x81 || len === 0x82) {
    const n = len - 0x80;
    if (p + n > end) throw new OtaError('ERR_OTA_PARSE', 'remote APDU: truncated length');
    len = n === 1 ? data[p]! : (data[p]! << 8) | data[p + 1]!;
    p += n;
  } else if (len >= 0x80) {
    throw new OtaError('ERR_OTA_PARSE', `remote APDU: length byte ${len.toString(16)} not supported here`);
  }
  if (p + len > end) throw new OtaError('ERR_OTA_PARSE', `remote APDU: TLV ${tag.toString(16)} runs past its template`);
  return { tlv: { tag, value: data.slice(p, p + len) }, next: p + len };
}

/** The TLVs of a template (definite: exactly its length; indefinite: up to 00 00, the last bytes). */
function templateContent(data: Uint8Array, tag: number, indefiniteTag: number, name: string): { length: TemplateLength; tlvs: RawTlv[] } {
  assertBytes(data, undefined, name);
  if (data.length < 2) throw new OtaError('ERR_OTA_PARSE', `${name}: ${data.length} octets`);
  const out: RawTlv[] = [];
  if (data[0] === indefiniteTag) {
    if (data[1] !== 0x80) throw new OtaError('ERR_OTA_PARSE', `${name}: tag ${indefiniteTag.toString(16)} needs the indefinite length 80`);
    let p = 2;
    for (;;) {
      if (p + 2 <= data.length && data[p] === 0 && data[p + 1] === 0) break;
      const r = readTlv(data, p, data.length);
      out.push(r.tlv);
      p = r.next;
    }
    if (p + 2 !== data.length) throw new OtaError('ERR_OTA_PARSE', `${name}: bytes after the end-of-contents 00 00`);
    return { length: 'indefinite', tlvs: out };
  }
  if (data[0] !== tag) throw new OtaError('ERR_OTA_PARSE', `${name}: tag ${data[0]!.toString(16)}, expected ${tag.toString(16)} or ${indefiniteTag.toString(16)}`);
  const outer = readTlv(data, 0, data.length);
  if (outer.next !== data.length) throw new OtaError('ERR_OTA_PARSE', `${name}: bytes after the template`);
  const v = outer.tlv.value;
  for (let p = 0; p < v.length; ) {
    const r = readTlv(v, p, v.length);
    out.push(r.tlv);
    p = r.next;
  }
  return { length: 'definite', tlvs: out };
}

/** Decodes a Command Scripting Template (AA or AE). An unknown tag inside is refused (the card answers Bad Format). */
export function parseCommandScript(data: Uint8Array): CommandScript {
  return guard(() => {
    const { length, tlvs } = templateContent(data, REMOTE_TAG.COMMAND_SCRIPT, REMOTE_TAG.COMMAND_SCRIPT_INDEFINITE, 'command script');
    const items = tlvs.map((t): CommandScriptItem => {
      if (t.tag === REMOTE_TAG.C_APDU) return Object.freeze({ kind: 'c-apdu', apdu: t.value });
      if (t.tag === REMOTE_TAG.IMMEDIATE_ACTION) return Object.freeze({ kind: 'immediate-action', value: t.value });
      if (t.tag === REMOTE_TAG.ERROR_ACTION) return Object.freeze({ kind: 'error-action', value: t.value });
      if (t.tag === REMOTE_TAG.SCRIPT_CHAINING) return Object.freeze({ kind: 'script-chaining', value: t.value });
      throw new OtaError('ERR_OTA_PARSE', `command script: unknown tag ${t.tag.toString(16)}`);
    });
    return Object.freeze({ kind: 'ota-command-script', length, items: Object.freeze(items) });
  });
}

/** Decodes a Response Scripting Template (AB or AF). */
export function parseResponseScript(data: Uint8Array): ResponseScript {
  return guard(() => {
    const { length, tlvs } = templateContent(data, REMOTE_TAG.RESPONSE_SCRIPT, REMOTE_TAG.RESPONSE_SCRIPT_INDEFINITE, 'response script');
    const executed = tlvs.filter((t) => t.tag === REMOTE_TAG.EXECUTED_COMMANDS);
    if (executed.length !== 1 || executed[0]!.value.length !== 1) throw new OtaError('ERR_OTA_PARSE', 'response script: needs one 1-octet number of executed commands (80)');
    const responses = tlvs.filter((t) => t.tag === REMOTE_TAG.R_APDU).map((t) => t.value);
    if (responses.some((r) => r.length < 2)) throw new OtaError('ERR_OTA_PARSE', 'response script: an R-APDU shorter than its status word');
    const one = (tag: number): Uint8Array | undefined => tlvs.find((t) => t.tag === tag)?.value;
    return Object.freeze({
      kind: 'ota-response-script',
      length,
      executed: executed[0]!.value[0]!,
      responses: Object.freeze(responses),
      immediateActionResponse: one(REMOTE_TAG.IMMEDIATE_ACTION),
      badFormat: one(REMOTE_TAG.BAD_FORMAT),
    });
  });
}

/** Whether secured data is in the expanded format (first byte AA or AE) [M]. */
export function isExpandedFormat(securedData: Uint8Array): boolean {
  return securedData[0] === REMOTE_TAG.COMMAND_SCRIPT || securedData[0] === REMOTE_TAG.COMMAND_SCRIPT_INDEFINITE;
}

/**
 * Instructions whose T=0 P3 is Le, not Lc (ISO/IEC 7816-4 outgoing-data commands: READ BINARY,
 * READ RECORD, GET RESPONSE, GET DATA, GET CHALLENGE): in the compact format no data follows
 * their header [M: a card knows its commands; this is the table this card uses].
 */
const P3_IS_LE = new Set([0xb0, 0xb2, 0xc0, 0xca, 0x84]);

/**
 * Splits compact-format secured data (§5.1) into C-APDUs, each rebuilt as a short ISO APDU:
 * `CLA INS P1 P2 Lc data` (case 3) or `CLA INS P1 P2 Le` (case 2; P3 00 of an outgoing command
 * stays Le 00); the last command may carry an Le after its data (case 4, as the negative vectors'
 * `80F24000024F0000` does). Truncated data is refused.
 */
export function splitCompactCommands(data: Uint8Array): Uint8Array[] {
  return guard(() => {
    assertBytes(data, undefined, 'compact commands');
    const out: Uint8Array[] = [];
    for (let p = 0; p < data.length; ) {
      if (p + 5 > data.length) throw new OtaError('ERR_OTA_PARSE', `compact commands: ${data.length - p} octets left, a C-APDU header takes 5`);
      const p3 = data[p + 4]!;
      const incoming = P3_IS_LE.has(data[p + 1]!) ? 0 : p3;
      if (p + 5 + incoming > data.length) throw new OtaError('ERR_OTA_PARSE', `compact commands: C-APDU ${out.length + 1} announces ${p3} data octets, fewer follow`);
      // a single octet after the last incoming-data command can only be its Le (case 4; a next C-APDU needs 4) [M]
      const le = incoming > 0 && data.length - (p + 5 + incoming) === 1 ? 1 : 0;
      out.push(incoming === 0 && p3 === 0 && !P3_IS_LE.has(data[p + 1]!) ? data.slice(p, p + 4) : data.slice(p, p + 5 + incoming + le));
      p += 5 + incoming + le;
    }
    return out;
  });
}

/** Encodes C-APDUs in the compact format (each must already be `CLA INS P1 P2 [P3 [data]]`, short form). */
export function encodeCompactCommands(apdus: readonly Uint8Array[]): Uint8Array {
  return guard(() => {
    const parts = apdus.map((a, i) => {
      assertBytes(a, undefined, `C-APDU ${i + 1}`);
      if (a.length === 4) return concat(a, Uint8Array.of(0));
      if (a.length < 5 || (a.length > 5 && a.length !== 5 + a[4]! && a.length !== 6 + a[4]!)) throw new OtaError('ERR_OTA_PARAM', `C-APDU ${i + 1}: not a short APDU`);
      // a case 4 APDU loses its Le: in T=0 form the card answers 61xx / the data (§5.1) [M]
      return a.length === 6 + a[4]! ? a.subarray(0, 5 + a[4]!) : a;
    });
    return concat(...parts);
  });
}

/** Encodes the compact response `executed SW data` (§5.1.2). */
export function encodeCompactResponse(executed: number, lastSw: number, lastData: Uint8Array): Uint8Array {
  return guard(() => {
    assertInt(executed, 0, 0xff, 'number of executed commands');
    assertInt(lastSw, 0, 0xffff, 'status word');
    return concat(Uint8Array.of(executed, lastSw >> 8, lastSw & 0xff), lastData);
  });
}
