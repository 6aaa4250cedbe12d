/**
 * PUT KEY, card side, one key at a time (GPC 2.3.1 §11.8.2.3; Amd D v1.1.1 §7.2): recover each key
 * component (decrypting secret and private ones with the Security Domain's DEK), check the key type,
 * its length and its key check value, and build the key as the card keeps it.
 */
import { SW } from '../../../apdu/index.ts';
import { equalCt, wipe } from '../../../bytes/index.ts';
import { kcv } from '../../../crypto/index.ts';
import { KEY_TYPES, isClearComponent, keyTypeName, type PutKeyEntry } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { KeyState } from '../../state/card-state.ts';

/** Secret keys made of one component; those of Appendix B.6 carry a key check value. */
const SYMMETRIC: ReadonlySet<number> = new Set([KEY_TYPES.DES, KEY_TYPES.AES, KEY_TYPES.TLS_PSK, KEY_TYPES.HMAC_SHA1, KEY_TYPES.HMAC_SHA1_160]);

/**
 * Clear key lengths and KCV method per type, as data. DES: double-length 3DES only (GPC 2.3.1
 * Table E-3); AES: 16, 24 or 32 bytes (Amd D v1.1.1 Table 6-1). KCV per GPC 2.3.1 §B.6 (DES: 3DES of
 * eight 00) and Amd D v1.1.1 §7.2.2 (AES: AES of sixteen 01), three bytes.
 */
const CHECKED_KEYS: Readonly<Record<number, { readonly lengths: readonly number[]; readonly kcv: 'tdes-zeros' | 'aes-ones' }>> = {
  [KEY_TYPES.DES]: { lengths: [16], kcv: 'tdes-zeros' },
  [KEY_TYPES.AES]: { lengths: [16, 24, 32], kcv: 'aes-ones' },
};

const KCV_LENGTH = 3;

/** Decrypts a secret or private key component block with the current session's DEK. */
export type SensitiveDecryptor = (data: Uint8Array) => Uint8Array;

function wrongData(message: string): CardException {
  return new CardException(SW.INCORRECT_DATA, `PUT KEY: ${message}`);
}

/** Table 11-16 types only; symmetric keys alone, asymmetric components each at most once. */
function checkComponentTypes(types: readonly number[]): void {
  for (const t of types) {
    if (t === KEY_TYPES.EXTENDED || keyTypeName(t) === undefined) throw wrongData(`key type ${t.toString(16)} is not supported`); // Table 11-78: 6A80 (9484 deprecated)
  }
  if (types.some((t) => SYMMETRIC.has(t)) && types.length !== 1) throw wrongData('a symmetric key has exactly one component');
  if (new Set(types).size !== types.length) throw wrongData('a key component type appears twice');
}

/** §11.8.2.3.3: the clear value of one component (Table 11-70 length first, or Table 11-71 bare). */
function recover(component: PutKeyEntry['components'][number], decrypt: SensitiveDecryptor): Uint8Array {
  if (isClearComponent(component.type)) return component.value.slice(); // §11.8.2.3.2: public values travel in clear
  const plain = decrypt(component.value);
  if (component.clearLength === undefined) return plain;
  const value = plain.slice(0, component.clearLength);
  wipe(plain);
  return value;
}

/**
 * Builds the key for identifier `keyId` from one PUT KEY key data field. Refusals: unknown type,
 * wrong length or a missing / unexpected KCV → 6A80 (Table 11-78); a KCV that does not match →
 * `kcvMismatchSw` (6982 per Table 11-78, 9485 on older cards).
 */
export function importKey(entry: PutKeyEntry, keyId: number, decrypt: SensitiveDecryptor, kcvMismatchSw: number): KeyState {
  const types = entry.components.map((c) => c.type);
  checkComponentTypes(types);
  const values: Uint8Array[] = [];
  try {
    for (const c of entry.components) values.push(recover(c, decrypt));
    const first = values[0]!;
    const type = types[0]!;
    const checked = CHECKED_KEYS[type];
    if (checked !== undefined) {
      if (!checked.lengths.includes(first.length)) throw wrongData(`a ${keyTypeName(type)} key of ${first.length} bytes`);
      // §11.8.2.3.3: "for all key types described in section B.6, the Key Check Value shall be present"
      if (entry.kcv.length !== KCV_LENGTH) throw wrongData(`key check value of ${entry.kcv.length} bytes, ${KCV_LENGTH} expected`);
      if (!equalCt(kcv(first, checked.kcv, KCV_LENGTH), entry.kcv)) throw new CardException(kcvMismatchSw, 'PUT KEY: key check value mismatch');
    } else if (entry.kcv.length !== 0) {
      // §11.8.2.3.5–6: no check value is defined for RSA / ECC (nor in B.6 for PSK and HMAC keys): we cannot verify one
      throw wrongData(`no key check value is defined for key type ${type.toString(16)}`);
    }
    return {
      id: keyId,
      type,
      value: first,
      ...extendedAttributes(entry),
      ...(values.length > 1 ? { components: values.map((value, i) => ({ type: types[i]!, value })) } : {}),
    };
  } catch (e) {
    wipe(...values);
    throw e;
  }
}

/** Table 11-69: key usage qualifier (§11.1.9, one byte as Key Information reports it) and key access (§11.1.10, one byte). */
function extendedAttributes(entry: PutKeyEntry): Pick<KeyState, 'usage' | 'access'> {
  if (entry.extended === undefined) return {};
  const { usage, access } = entry.extended;
  if (usage.length > 1 || access.length > 1) throw wrongData('key usage and key access are one byte each (Table 11-29)');
  return { usage: usage.length === 0 ? undefined : usage.slice(), access: access[0] };
}
