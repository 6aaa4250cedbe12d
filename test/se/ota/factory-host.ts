/**
 * What an OTA platform knows of a card the factory made (test helper for the se/ota tests): the
 * transport KEK the key file is wrapped under, and the card's first SCP80 key set, unwrapped.
 */
import { fromHex } from '../../../src/bytes/index.ts';
import { unwrapKeyBlock } from '../../../src/crypto/index.ts';
import type { OtaKeys } from '../../../src/ota/index.ts';
import type { KeyFileCard } from '../../../src/se/index.ts';

/** The transport KEK the tests' batches wrap their key files under. */
export const KEK = { algorithm: 'aes' as const, key: fromHex('00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210') };

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
