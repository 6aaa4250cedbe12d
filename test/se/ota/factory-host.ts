/**
 * What an OTA platform knows of a card the factory made (test helper for the se/ota tests): the
 * transport KEK the key file is wrapped under, the card's first SCP80 key set unwrapped, and the
 * packet and SMS constants the tests share.
 */
import { fromHex } from '../../../src/bytes/index.ts';
import { unwrapKeyBlock } from '../../../src/crypto/index.ts';
import { spi, type OtaKeys } from '../../../src/ota/index.ts';
import type { KeyFileCard } from '../../../src/se/index.ts';

/** The transport KEK the tests' batches wrap their key files under. */
export const KEK = { algorithm: 'aes' as const, key: fromHex('00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210') };
/** The ISD master keys of the OTA tests' factory batches (GP test keys 40..4F, 50..5F, 60..6F). */
export const MASTERS = { enc: fromHex('404142434445464748494A4B4C4D4E4F'), mac: fromHex('505152535455565758595A5B5C5D5E5F'), dek: fromHex('606162636465666768696A6B6C6D6E6F') };

export interface Host {
  readonly keys: OtaKeys;
  readonly kic: number;
  readonly kid: number;
}

/** The card's first SCP80 key set from its key file entry, KIc/KID unwrapped under {@link KEK}. */
export function hostOf(entry: KeyFileCard): Host {
  const set = entry.scp80[0]!;
  const keys = { kic: unwrapKeyBlock(KEK.key, set.kic.keyBlock).key, kid: unwrapKeyBlock(KEK.key, set.kid.keyBlock).key };
  return { keys, kic: parseInt(set.kicByte, 16), kid: parseInt(set.kidByte, 16) };
}

/** SPI of the OTA tests' packets: CC, ciphered, counter higher, PoR required (CC, ciphered) by SMS-SUBMIT. */
export const FULL = spi({ rcCcDs: 'cc', ciphered: true, counter: 'higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
/** The OTA server's address and the service centre time stamp on the tests' SMS-DELIVERs. */
export const OTA_SERVER = { digits: '491711234567', typeOfAddress: 0x91 };
export const SCTS = fromHex('62117261540000');
