import { assertBytes } from '../../bytes/index.ts';
import { badArgument } from './fail.ts';

/**
 * The GlobalPlatform privileges (GPC 2.3.1 §11.1.2, Tables 11-7, 11-8, 11-9; §6.6 Table 6-1), as
 * data: `byte` is the index in the 3-byte field, and a privilege is held when
 * `(bytes[byte] & mask) === value`. DAP Verification, Delegated Management and Mandated DAP
 * Verification include the Security Domain bit (b8 of byte 1), and DAP Verification requires b1 = 0
 * where Mandated DAP sets it: bits overlap, so these are masks, not single bits.
 */
export const PRIVILEGES = {
  SecurityDomain: { number: 0, byte: 0, mask: 0x80, value: 0x80 },
  DAPVerification: { number: 1, byte: 0, mask: 0xc1, value: 0xc0 },
  DelegatedManagement: { number: 2, byte: 0, mask: 0xa0, value: 0xa0 },
  CardLock: { number: 3, byte: 0, mask: 0x10, value: 0x10 },
  CardTerminate: { number: 4, byte: 0, mask: 0x08, value: 0x08 },
  CardReset: { number: 5, byte: 0, mask: 0x04, value: 0x04 },
  CVMManagement: { number: 6, byte: 0, mask: 0x02, value: 0x02 },
  MandatedDAPVerification: { number: 7, byte: 0, mask: 0xc1, value: 0xc1 },
  TrustedPath: { number: 8, byte: 1, mask: 0x80, value: 0x80 },
  AuthorizedManagement: { number: 9, byte: 1, mask: 0x40, value: 0x40 },
  /** "Token Management" in GPC 2.3.1 Table 11-8 (GPPro and GP 2.2 call it Token Verification). */
  TokenManagement: { number: 10, byte: 1, mask: 0x20, value: 0x20 },
  GlobalDelete: { number: 11, byte: 1, mask: 0x10, value: 0x10 },
  GlobalLock: { number: 12, byte: 1, mask: 0x08, value: 0x08 },
  GlobalRegistry: { number: 13, byte: 1, mask: 0x04, value: 0x04 },
  FinalApplication: { number: 14, byte: 1, mask: 0x02, value: 0x02 },
  GlobalService: { number: 15, byte: 1, mask: 0x01, value: 0x01 },
  ReceiptGeneration: { number: 16, byte: 2, mask: 0x80, value: 0x80 },
  CipheredLoadFileDataBlock: { number: 17, byte: 2, mask: 0x40, value: 0x40 },
  ContactlessActivation: { number: 18, byte: 2, mask: 0x20, value: 0x20 },
  ContactlessSelfActivation: { number: 19, byte: 2, mask: 0x10, value: 0x10 },
} as const;

/** One of the names in {@link PRIVILEGES}. */
export type PrivilegeName = keyof typeof PRIVILEGES;

/** Every privilege name in privilege-number order. */
export const PRIVILEGE_NAMES: readonly PrivilegeName[] = Object.freeze(
  (Object.keys(PRIVILEGES) as PrivilegeName[]).sort((a, b) => PRIVILEGES[a].number - PRIVILEGES[b].number),
);

/**
 * Encodes privileges into the 3-byte field (GPC 2.3.1 Tables 11-7..11-9). A privilege that implies
 * Security Domain sets that bit too. DAP Verification together with Mandated DAP Verification cannot
 * be coded (b1 must be both 0 and 1) and is refused.
 * @example encodePrivileges(['SecurityDomain', 'TrustedPath', 'AuthorizedManagement']) // 80 C0 00
 */
export function encodePrivileges(names: Iterable<PrivilegeName>): Uint8Array {
  const out = new Uint8Array(3);
  const set = new Set<PrivilegeName>();
  for (const name of names) {
    const p = (PRIVILEGES as Record<string, (typeof PRIVILEGES)[PrivilegeName] | undefined>)[name];
    if (p === undefined) throw badArgument(`unknown privilege ${String(name)}`);
    set.add(name);
    out[p.byte] = out[p.byte]! | p.value;
  }
  if (set.has('DAPVerification') && set.has('MandatedDAPVerification')) {
    // Table 11-7: DAP Verification is 11xxxxx0, Mandated DAP Verification 11xxxxx1
    throw badArgument('DAPVerification and MandatedDAPVerification cannot both be coded (Table 11-7, b1)');
  }
  return out;
}

/**
 * Decodes a privileges field of 3 bytes, or of 1 byte for backward compatibility (GPC 2.3.1
 * §11.5.2.3.2: bytes 2 and 3 then read as zero here; the card assigns the defaults of §6.6.2).
 * RFU bits (byte 3 b4–b1) are ignored. Names come in privilege-number order.
 * @example decodePrivileges(hex`80C000`) // ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement']
 */
export function decodePrivileges(bytes: Uint8Array): readonly PrivilegeName[] {
  assertBytes(bytes, [1, 3], 'privileges');
  return Object.freeze(PRIVILEGE_NAMES.filter((name) => hasPrivilege(bytes, name)));
}

/** True when the 1- or 3-byte privileges field holds `name` (Tables 11-7..11-9). */
export function hasPrivilege(bytes: Uint8Array, name: PrivilegeName): boolean {
  assertBytes(bytes, [1, 3], 'privileges');
  const p = PRIVILEGES[name];
  return ((bytes[p.byte] ?? 0) & p.mask) === p.value;
}
