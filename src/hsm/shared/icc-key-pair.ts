/**
 * One card's ICC key pair for offline data authentication (EMV Book 2 §6.1: RSA, exponent 3 or
 * 2^16 + 1), generated in host memory for one call and handed out only as CRT components, each
 * encrypted on its own under the card's DEK for DGIs 8201–8205 (EMV CPS [M];
 * docs/payment-application.md §4). Both backends generate here: a PKCS#11 token gives a private
 * key out only as one wrapped blob, never as the five components each encrypted under the card's
 * DEK as the DGIs carry them (docs/hsm.md §8).
 *
 * The key comes out of node:crypto as PKCS#1 DER in a Buffer (never as a KeyObject or a JWK, whose
 * strings could not be wiped); the DER, the parser's copy and every padded component are wiped
 * before the call returns. OpenSSL frees its own copy inside the generation call.
 */
import { generateKeyPair as nodeGenerateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { wipe } from '../../bytes/index.ts';
import { parseTlv } from '../../tlv/index.ts';
import { HsmError } from '../errors.ts';
import type { EmvCertificate, EmvCertificateRequest, EncryptedIccPrivateKey, IccKeyPairForCard, IccKeyPairRequest } from '../hsm.ts';
import { MAX_EMV_KEY_BYTES, checkIccFields } from './emv-certificate.ts';

const generatePair = promisify(nodeGenerateKeyPair);

/** ICC modulus sizes (bits): 1024 by default, up to the EMV maximum of 1984 (Book 2 §6.1) [M]. */
export const ICC_KEY_BITS = { min: 1024, max: MAX_EMV_KEY_BYTES * 8, default: 1024 } as const;

/** The CRT components in DGI order 8201…8205 (the field names of EncryptedIccPrivateKey). */
export const ICC_CRT_ORDER = ['qInv', 'dq', 'dp', 'q', 'p'] as const;
type Component = (typeof ICC_CRT_ORDER)[number];

/** Checks the request (before any key is made); returns the key size (bits) and exponent. */
export function iccKeyParameters(request: IccKeyPairRequest, issuerBytes: number): { bits: number; exponent: 3 | 65537 } {
  checkIccFields(request);
  const bits = request.keySize ?? ICC_KEY_BITS.default;
  if (!Number.isInteger(bits) || bits < ICC_KEY_BITS.min || bits > ICC_KEY_BITS.max || bits % 8 !== 0) {
    throw new HsmError('ERR_HSM_PARAM', `ICC key size: ${ICC_KEY_BITS.min} to ${ICC_KEY_BITS.max} bits, a multiple of 8`);
  }
  if (bits / 8 > issuerBytes) throw new HsmError('ERR_HSM_PARAM', `the ICC key (${bits / 8} bytes) may not be longer than the issuer key (${issuerBytes} bytes), EMV Book 2 §6.1`);
  const exponent = request.exponent ?? 3;
  if (exponent !== 3 && exponent !== 65537) throw new HsmError('ERR_HSM_PARAM', 'ICC key exponent: 3 or 65537');
  return { bits, exponent };
}

/** A fresh ICC key in host memory: its SPKI and the five CRT components, each left-padded to half the modulus length. */
export interface ClearIccKey {
  readonly spki: Uint8Array;
  readonly components: Readonly<Record<Component, Uint8Array>>;
  /** Overwrites the components (call in `finally`). */
  wipe(): void;
}

/** A big-endian unsigned INTEGER value left-padded (or stripped of its sign byte) to `length` bytes. */
function leftPad(value: Uint8Array, length: number): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  const digits = value.subarray(i);
  if (digits.length > length) throw new HsmError('ERR_HSM_BACKEND', 'a CRT component is longer than half the modulus');
  const out = new Uint8Array(length);
  out.set(digits, length - digits.length);
  return out;
}

/**
 * Generates the ICC key pair (HOST MEMORY, until `wipe()`): PKCS#1 RSAPrivateKey (RFC 8017
 * A.1.2) = version, n, e, d, p, q, dp = d mod (p − 1), dq = d mod (q − 1), qInv = q⁻¹ mod p.
 */
export async function generateIccKey(bits: number, exponent: 3 | 65537): Promise<ClearIccKey> {
  const pair = await generatePair('rsa', {
    modulusLength: bits,
    publicExponent: exponent,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs1', format: 'der' },
  });
  const der = pair.privateKey;
  const made: Uint8Array[] = [];
  let parsed: ReturnType<typeof parseTlv> | undefined;
  try {
    parsed = parseTlv(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
    const c = parsed.children ?? [];
    const half = Math.ceil(bits / 16);
    const at = (i: number): Uint8Array => {
      const node = c[i];
      if (node === undefined || node.tag !== 0x02) throw new HsmError('ERR_HSM_BACKEND', 'the generated RSA key does not parse');
      const value = leftPad(node.value, half);
      made.push(value);
      return value;
    };
    const components = { p: at(4), q: at(5), dp: at(6), dq: at(7), qInv: at(8) };
    return { spki: new Uint8Array(pair.publicKey), components, wipe: () => wipe(...made) };
  } catch (e) {
    wipe(...made);
    throw e;
  } finally {
    der.fill(0);
    if (parsed !== undefined) wipe(parsed.value); // the parser's private copy: every INTEGER is a view into it
  }
}

/** Encrypts each component on its own, in DGI order, with `encrypt` (the backend's DEK encryption of padded data). */
export function encryptComponents(key: ClearIccKey, encrypt: (values: readonly Uint8Array[]) => Uint8Array[]): EncryptedIccPrivateKey {
  const out = encrypt(ICC_CRT_ORDER.map((name) => key.components[name]));
  if (out.length !== ICC_CRT_ORDER.length) throw new HsmError('ERR_HSM_BACKEND', 'the DEK encryption lost a CRT component');
  const [qInv, dq, dp, q, p] = out as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  return Object.freeze({ qInv, dq, dp, q, p });
}

/**
 * The ICC key pair flow both backends share: generate the key for this call, encrypt its CRT
 * components with the backend's DEK encryption, wipe it, have the backend certify the public key
 * (EMV Book 2 §6.4 Table 14). Returns the result and the audit detail.
 */
export async function makeIccKeyPair(
  request: IccKeyPairRequest,
  parameters: { readonly bits: number; readonly exponent: 3 | 65537; readonly scp: 2 | 3 },
  encrypt: (values: readonly Uint8Array[]) => Uint8Array[],
  certify: (request: EmvCertificateRequest) => EmvCertificate,
): Promise<{ readonly result: IccKeyPairForCard; readonly detail: string }> {
  const { bits, exponent } = parameters;
  // HOST MEMORY: the clear ICC private key, from here until `key.wipe()` (docs/hsm.md §8)
  const key = await generateIccKey(bits, exponent);
  let privateKey: EncryptedIccPrivateKey;
  try {
    privateKey = encryptComponents(key, encrypt);
  } finally {
    key.wipe();
  }
  const { pan, expiry, serialNumber, staticData } = request;
  const certificate = certify({ kind: 'icc', pan, expiry, serialNumber, staticData, subjectPublicKey: key.spki });
  return {
    result: Object.freeze({ ...certificate, publicKey: key.spki, privateKey }),
    detail: `ICC key pair (${bits} bits, e = ${exponent}) certified, private key under the SCP0${parameters.scp} DEK`,
  };
}
