/**
 * Custodian passphrase hashes: scrypt (RFC 7914) in the form `scrypt$N$r$p$salt$hash` (hex salt
 * and hash), as CustodianRecord documents. Verification recomputes with the stored parameters and
 * compares in constant time; a hash below the configured cost floor is refused, so editing the
 * store to weaken a record does not make it cheaper to guess.
 */
import { scryptSync } from 'node:crypto';
import { equalCt, fromHex, toHex, wipe } from '../../bytes/index.ts';
import { randomBytes } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';

/** scrypt parameters. N is the CPU/memory cost (a power of two), r the block size, p parallelism. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** RFC 7914 §2 guidance for interactive logins, raised: N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const SALT_LENGTH = 16;
const HASH_LENGTH = 32;
const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,2})\$(\d{1,2})\$([0-9A-F]{32})\$([0-9A-F]{64})$/;

function derive(passphrase: string, salt: Uint8Array, params: ScryptParams): Uint8Array {
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  const out = scryptSync(passphrase.normalize('NFC'), salt, HASH_LENGTH, { N: params.N, r: params.r, p: params.p, maxmem });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Hashes `passphrase` with a fresh salt. */
export function hashPassphrase(passphrase: string, params: ScryptParams): string {
  const salt = randomBytes(SALT_LENGTH);
  const hash = derive(passphrase, salt, params);
  try {
    return `scrypt$${params.N}$${params.r}$${params.p}$${toHex(salt)}$${toHex(hash)}`;
  } finally {
    wipe(hash);
  }
}

/** A well-formed hash with parameters at or above `floor`; otherwise undefined. */
function parse(stored: string, floor: ScryptParams): { params: ScryptParams; salt: Uint8Array; hash: Uint8Array } | undefined {
  const m = FORMAT.exec(stored);
  if (m === null) return undefined;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const powerOfTwo = params.N > 1 && (params.N & (params.N - 1)) === 0;
  if (!powerOfTwo || params.N < floor.N || params.r < floor.r || params.p < 1 || params.N > 2 ** 20) return undefined;
  return { params, salt: fromHex(m[4]!), hash: fromHex(m[5]!) };
}

/**
 * True when `passphrase` matches `stored`. A malformed or too-weak stored hash (or none, for an
 * unknown custodian) still costs one scrypt run at the floor, so timing does not tell which.
 */
export function verifyPassphrase(passphrase: unknown, stored: string | undefined, floor: ScryptParams): boolean {
  if (typeof passphrase !== 'string') throw new HsmError('ERR_HSM_CUSTODIAN', 'custodian authentication failed');
  const parsed = stored === undefined ? undefined : parse(stored, floor);
  if (parsed === undefined) {
    wipe(derive(passphrase, new Uint8Array(SALT_LENGTH), floor));
    return false;
  }
  const candidate = derive(passphrase, parsed.salt, parsed.params);
  try {
    return equalCt(candidate, parsed.hash);
  } finally {
    wipe(candidate);
  }
}
