/**
 * Test helpers for the access-control enforcer: a REF-AR-DO builder, a scripted ARA-M terminal (a
 * tiny card written for the tests, paging its listing and changing its refresh tag on every update),
 * and a terminal wrapper that records every command.
 */
import { createHash } from 'node:crypto';
import { concat, fromHex, hex, toHex } from '../../../src/bytes/index.ts';
import type { DeviceApp } from '../../../src/device/access-control/access-decision.ts';
import type { SeTerminal } from '../../../src/device/terminal.ts';
import { encodeTlv, tlv, type Tlv } from '../../../src/tlv/index.ts';

export const AID1 = hex`A0000000041010AA01`;
export const AID2 = hex`A0000000041010AA02`;
export const ARA_AID_HEX = 'A00000015141434C00';

/** An app with a fake two-certificate chain (leaf, intermediate); the enforcer only hashes the DER. */
export function app(name: string, packageName = `com.example.${name}`): DeviceApp & { readonly leaf: Uint8Array; readonly intermediate: Uint8Array } {
  const leaf = new TextEncoder().encode(`leaf certificate of ${name}`);
  const intermediate = new TextEncoder().encode(`intermediate certificate of ${name}`);
  return { packageName, certificates: [leaf, intermediate], leaf, intermediate };
}

export const sha1 = (der: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(der).digest());
export const sha256 = (der: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(der).digest());

export interface RuleSpec {
  /** A specific AID, 'all' (4F 00), 'default' (C0 00), or 'none' (no AID-REF-DO). */
  readonly aid: Uint8Array | 'all' | 'default' | 'none';
  /** The DeviceAppID hash, or 'all' (C1 00). */
  readonly hash: Uint8Array | 'all';
  readonly pkg?: string;
  /** APDU-AR-DO: 'always', 'never', filters as hex 8-byte groups, or absent. */
  readonly apdu?: 'always' | 'never' | readonly string[];
  readonly nfc?: boolean;
}

/** One REF-AR-DO 'E2' node. */
export function refArDo(spec: RuleSpec): Tlv {
  const ref: Tlv[] = [];
  if (spec.aid === 'all') ref.push(tlv(0x4f));
  else if (spec.aid === 'default') ref.push(tlv(0xc0));
  else if (spec.aid !== 'none') ref.push(tlv(0x4f, spec.aid));
  ref.push(tlv(0xc1, spec.hash === 'all' ? new Uint8Array(0) : spec.hash));
  if (spec.pkg !== undefined) ref.push(tlv(0xca, new TextEncoder().encode(spec.pkg)));
  const ar: Tlv[] = [];
  if (spec.apdu === 'always' || spec.apdu === 'never') ar.push(tlv(0xd0, Uint8Array.of(spec.apdu === 'always' ? 1 : 0)));
  else if (spec.apdu !== undefined) ar.push(tlv(0xd0, concat(...spec.apdu.map((f) => fromHex(f)))));
  if (spec.nfc !== undefined) ar.push(tlv(0xd1, Uint8Array.of(spec.nfc ? 1 : 0)));
  return tlv(0xe2, [tlv(0xe1, ref), tlv(0xe3, ar)]);
}

/** A whole Response-ALL-REF-AR-DO 'FF40' around `body` (definite length, shortest form). */
export function ff40(body: Uint8Array): Uint8Array {
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat(Uint8Array.of(0xff, 0x40, ...length), body);
}

/** FF40 listing of `rules`. */
export function listing(rules: readonly RuleSpec[]): Uint8Array {
  return ff40(concat(...rules.map((r) => encodeTlv(refArDo(r)))));
}

const ok = (data: Uint8Array = new Uint8Array(0)): Uint8Array => concat(data, Uint8Array.of(0x90, 0x00));
const sw = (value: number): Uint8Array => Uint8Array.of(value >> 8, value & 0xff);

export interface ScriptedAraOptions {
  /** The FF40 answer (whole, paged by `pageSize`); undefined answers 6A88 (no rules). */
  listing?: Uint8Array | undefined;
  pageSize?: number;
  /** No ARA-M on the SE: SELECT answers 6A82. */
  absent?: boolean;
  /** Overrides for single commands, by the hex of their INS P1 P2 (e.g. 'CADF20', '700000'). */
  override?: Record<string, () => Uint8Array>;
}

/**
 * A scripted SE with an ARA-M: MANAGE CHANNEL (channels 1–3), SELECT by name, GET DATA DF20/FF40/FF60.
 * `update(listing)` replaces the rules and changes the refresh tag, as SEAC requires.
 */
export class ScriptedAra implements SeTerminal {
  readonly name = 'eSE1';
  readonly commands: Uint8Array[] = [];
  readonly open = new Set<number>();
  refreshTag = hex`0000000000000001`;
  #rest: Uint8Array | undefined;

  constructor(readonly options: ScriptedAraOptions) {}

  isPresent(): boolean {
    return true;
  }

  atr(): Uint8Array | undefined {
    return undefined;
  }

  update(listing: Uint8Array | undefined): void {
    this.options.listing = listing;
    const next = BigInt(`0x${toHex(this.refreshTag)}`) + 1n;
    this.refreshTag = fromHex(next.toString(16).padStart(16, '0'));
  }

  /** How many commands with this INS P1 P2 were sent (e.g. 'CAFF40'). */
  count(insP1P2: string): number {
    return this.commands.filter((c) => toHex(c.subarray(1, 4)) === insP1P2).length;
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    this.commands.push(command.slice());
    return Promise.resolve(this.answer(command));
  }

  answer(command: Uint8Array): Uint8Array {
    const key = toHex(command.subarray(1, 4));
    const special = this.options.override?.[key];
    if (special !== undefined) return special();
    const channel = command[0]! & 0x03;
    if (key === '700000') {
      for (const n of [1, 2, 3]) {
        if (!this.open.has(n)) {
          this.open.add(n);
          return ok(Uint8Array.of(n));
        }
      }
      return sw(0x6a81);
    }
    if (command[1] === 0x70 && command[2] === 0x80) {
      this.open.delete(command[3]!);
      return ok();
    }
    if (!this.open.has(channel)) return sw(0x6881);
    if (key === 'A40400') {
      if (this.options.absent === true) return sw(0x6a82);
      return toHex(command.subarray(5, 5 + command[4]!)) === ARA_AID_HEX ? ok(hex`6F0A8409A00000015141434C00`) : sw(0x6a82);
    }
    if (key === 'CADF20') return ok(concat(hex`DF2008`, this.refreshTag));
    if (key === 'CAFF40') {
      if (this.options.listing === undefined) return sw(0x6a88);
      const size = this.options.pageSize ?? 256;
      this.#rest = this.options.listing.subarray(size);
      return ok(this.options.listing.subarray(0, size));
    }
    if (key === 'CAFF60') {
      if (this.#rest === undefined || this.#rest.length === 0) return sw(0x6a88);
      const size = this.options.pageSize ?? 256;
      const page = this.#rest.subarray(0, size);
      this.#rest = this.#rest.subarray(size);
      return ok(page);
    }
    return sw(0x6d00);
  }
}

/** Wraps `inner` and records every command sent through it. */
export function countingTerminal(inner: SeTerminal): SeTerminal & { readonly commands: Uint8Array[]; count(insP1P2: string): number } {
  const commands: Uint8Array[] = [];
  return {
    name: inner.name,
    isPresent: () => inner.isPresent(),
    atr: () => inner.atr(),
    transmit: (command) => {
      commands.push(command.slice());
      return inner.transmit(command);
    },
    commands,
    count: (insP1P2) => commands.filter((c) => toHex(c.subarray(1, 4)) === insP1P2).length,
  };
}
