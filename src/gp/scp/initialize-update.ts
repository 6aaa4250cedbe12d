/**
 * INITIALIZE UPDATE (GPC 2.3.1 §E.5.1; GPC Amd D v1.1.1 §7.1.1): the command, and the response of
 * either protocol as frozen values, parsed strictly: the length must match the SCP and its "i"
 * exactly (gp.md §4.2).
 */
import { ByteWriter, readUintBe } from '../../bytes/index.ts';
import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpInt, hex2 } from './assert.ts';
import { gpCla } from './cla.ts';
import { scp03Options } from './scp03-options.ts';

/** INS of INITIALIZE UPDATE (GPC 2.3.1 Table E-7). */
export const INS_INITIALIZE_UPDATE = 0x50;
/** INS of EXTERNAL AUTHENTICATE (GPC 2.3.1 Table E-10). */
export const INS_EXTERNAL_AUTHENTICATE = 0x82;

/** A parsed SCP02 INITIALIZE UPDATE response (GPC 2.3.1 Table E-8). */
export interface Scp02InitializeUpdateResponse {
  readonly kind: 'scp02-initialize-update';
  readonly scp: 2;
  readonly kdd: Uint8Array;
  readonly keyVersion: number;
  readonly sequenceCounter: number;
  readonly cardChallenge: Uint8Array;
  readonly cardCryptogram: Uint8Array;
}

/** A parsed SCP03 INITIALIZE UPDATE response (GPC Amd D v1.1.1 Table 7-2). */
export interface Scp03InitializeUpdateResponse {
  readonly kind: 'scp03-initialize-update';
  readonly scp: 3;
  readonly kdd: Uint8Array;
  readonly keyVersion: number;
  readonly i: number;
  readonly cardChallenge: Uint8Array;
  readonly cardCryptogram: Uint8Array;
  /** Present only with pseudo-random challenges ("i" b5). */
  readonly sequenceCounter: number | undefined;
}

/** An INITIALIZE UPDATE response of either protocol, told apart by `kind`. */
export type InitializeUpdateResponse = Scp02InitializeUpdateResponse | Scp03InitializeUpdateResponse;

/**
 * GPC 2.3.1 Table E-7 / Amd D §7.1.1: `80 50 KVN 00 Lc host-challenge 00` (Lc 08, or 10 in S16),
 * on logical channel `channel`.
 * @example initializeUpdateCommand(0x30, hostChallenge) // 80 50 30 00 08 … 00
 */
export function initializeUpdateCommand(keyVersion: number, hostChallenge: Uint8Array, channel = 0): CommandApdu {
  assertGpInt(keyVersion, 0, 0xff, 'key version number');
  assertGpBytes(hostChallenge, [8, 16], 'host challenge');
  return commandApdu({ cla: gpCla(channel, false), ins: INS_INITIALIZE_UPDATE, p1: keyVersion, p2: 0x00, data: hostChallenge, ne: 256 });
}

function parseError(detail: string): GpError {
  return new GpError('ERR_GP_PARSE', `INITIALIZE UPDATE response: ${detail}`);
}

function parseScp02(data: Uint8Array): Scp02InitializeUpdateResponse {
  // GPC 2.3.1 Table E-8: KDD(10) KVN(1) SCP(1) counter(2) card challenge(6) card cryptogram(8)
  if (data.length !== 28) throw parseError(`expected 28 bytes for SCP02, got ${data.length}`);
  return Object.freeze({
    kind: 'scp02-initialize-update',
    scp: 2,
    kdd: data.slice(0, 10),
    keyVersion: data[10]!,
    sequenceCounter: readUintBe(data.subarray(12, 14)),
    cardChallenge: data.slice(14, 20),
    cardCryptogram: data.slice(20, 28),
  });
}

function parseScp03(data: Uint8Array): Scp03InitializeUpdateResponse {
  if (data.length < 13) throw parseError(`${data.length} bytes end before the SCP03 "i" parameter`);
  const options = scp03Options(data[12]!);
  const n = options.challengeLength;
  // Amd D v1.1.1 Table 7-2: KDD(10) KVN SCP i, card challenge, card cryptogram, [counter(3)]
  const expected = 13 + 2 * n + (options.pseudoRandomChallenge ? 3 : 0);
  if (data.length !== expected) throw parseError(`expected ${expected} bytes for SCP03 "i" = ${hex2(options.i)}, got ${data.length}`);
  return Object.freeze({
    kind: 'scp03-initialize-update',
    scp: 3,
    kdd: data.slice(0, 10),
    keyVersion: data[10]!,
    i: options.i,
    cardChallenge: data.slice(13, 13 + n),
    cardCryptogram: data.slice(13 + n, 13 + 2 * n),
    sequenceCounter: options.pseudoRandomChallenge ? readUintBe(data.subarray(13 + 2 * n)) : undefined,
  });
}

/**
 * Parses an INITIALIZE UPDATE response of SCP02 or SCP03. A wrong length is `ERR_GP_PARSE`; any
 * other protocol (SCP01, SCP10/11…) or an unknown SCP03 "i" is `ERR_GP_UNSUPPORTED`.
 */
export function parseInitializeUpdateResponse(data: Uint8Array): InitializeUpdateResponse {
  assertGpBytes(data, undefined, 'INITIALIZE UPDATE response');
  if (data.length < 12) throw parseError(`${data.length} bytes end before the key information`);
  const scp = data[11]!;
  if (scp === 0x02) return parseScp02(data);
  if (scp === 0x03) return parseScp03(data);
  throw new GpError('ERR_GP_UNSUPPORTED', `INITIALIZE UPDATE response: SCP ${hex2(scp)} is not supported (SCP02 and SCP03 are)`);
}

/** Encodes an SCP02 INITIALIZE UPDATE response (card side; GPC 2.3.1 Table E-8). */
export function encodeScp02InitializeUpdateResponse(r: Omit<Scp02InitializeUpdateResponse, 'kind' | 'scp'>): Uint8Array {
  return new ByteWriter(28)
    .bytes(r.kdd).u8(r.keyVersion).u8(0x02).u16(r.sequenceCounter).bytes(r.cardChallenge).bytes(r.cardCryptogram)
    .toBytes();
}

/** Encodes an SCP03 INITIALIZE UPDATE response (card side; GPC Amd D v1.1.1 Table 7-2). */
export function encodeScp03InitializeUpdateResponse(r: Omit<Scp03InitializeUpdateResponse, 'kind' | 'scp'>): Uint8Array {
  const w = new ByteWriter(48).bytes(r.kdd).u8(r.keyVersion).u8(0x03).u8(r.i).bytes(r.cardChallenge).bytes(r.cardCryptogram);
  if (r.sequenceCounter !== undefined) w.u24(r.sequenceCounter);
  return w.toBytes();
}
