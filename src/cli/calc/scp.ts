/**
 * `calc scp02` and `calc scp03`: the session keys and the card and host cryptograms of one
 * INITIALIZE UPDATE / EXTERNAL AUTHENTICATE exchange, from the static keys, the sequence counter and
 * the challenges — the numbers to compare with a card trace. The pseudo-random card challenge comes
 * from the counter and the Security Domain AID when the card challenge is not given. All the
 * protocol math is gp/'s (scp02-crypto.ts, scp03-crypto.ts).
 */
import { concat, readUintBe, toHex, wipe } from '../../bytes/index.ts';
import {
  SCP02_DERIVATION,
  SCP03_DERIVATION,
  scp02CardChallenge,
  scp02CardCryptogram,
  scp02HostCryptogram,
  scp02SessionKey,
  scp03CardChallenge,
  scp03Cryptogram,
  scp03SessionKey,
} from '../../gp/index.ts';
import { hexOption, optionalHex, usage, type CalcOptions, type Secrets } from './input.ts';
import { keyWithKcv } from './keys.ts';
import type { CalcResult } from './result.ts';

const AID_LENGTHS = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

/** `calc scp02`: GPC 2.3.1 §E.4.1 session keys, §E.4.2 cryptograms, §E.4.2.3 pseudo-random challenge. */
export async function calcScp02(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const counterBytes = hexOption(o, 'counter', 'the sequence counter: 2 bytes from the INITIALIZE UPDATE response', [2]);
  const counter = readUintBe(counterBytes);
  const hostChallenge = hexOption(o, 'hostChallenge', 'the 8 bytes of the INITIALIZE UPDATE command', [8]);
  const given = optionalHex(o, 'cardChallenge', [6]);
  const sdAid = optionalHex(o, 'sdAid', AID_LENGTHS);
  if ((given === undefined) === (sdAid === undefined)) {
    throw usage('give --card-challenge (6 bytes from the INITIALIZE UPDATE response), or --sd-aid AID to compute the pseudo-random one (i = 55), not both');
  }
  const keys = await secrets.keySet(o, [16], true);
  const sEnc = scp02SessionKey(keys.enc, SCP02_DERIVATION.S_ENC, counter);
  const cMac = scp02SessionKey(keys.mac, SCP02_DERIVATION.C_MAC, counter);
  const rMac = scp02SessionKey(keys.mac, SCP02_DERIVATION.R_MAC, counter);
  const dek = scp02SessionKey(keys.dek, SCP02_DERIVATION.DEK, counter);
  try {
    const cardChallenge = given ?? scp02CardChallenge(cMac, sdAid!);
    return {
      sequenceCounter: toHex(counterBytes),
      hostChallenge: toHex(hostChallenge),
      cardChallenge: toHex(cardChallenge),
      cardChallengeSource: given === undefined ? 'pseudo-random (counter, SD AID)' : 'given',
      kcvAlgorithm: 'tdes',
      sEnc: keyWithKcv(sEnc, 'tdes-zeros'),
      cMac: keyWithKcv(cMac, 'tdes-zeros'),
      rMac: keyWithKcv(rMac, 'tdes-zeros'),
      dek: keyWithKcv(dek, 'tdes-zeros'),
      cardCryptogram: toHex(scp02CardCryptogram(sEnc, hostChallenge, counter, cardChallenge)),
      hostCryptogram: toHex(scp02HostCryptogram(sEnc, hostChallenge, counter, cardChallenge)),
    };
  } finally {
    wipe(keys.enc, keys.mac, keys.dek, sEnc, cMac, rMac, dek);
  }
}

/** `calc scp03`: GPC Amd D v1.1.1 §6.2.1 session keys, §6.2.2 cryptograms and pseudo-random challenge. */
export async function calcScp03(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const hostChallenge = hexOption(o, 'hostChallenge', 'the 8 (S8) or 16 (S16) bytes of the INITIALIZE UPDATE command', [8, 16]);
  const given = optionalHex(o, 'cardChallenge', [hostChallenge.length]);
  const counterBytes = optionalHex(o, 'counter', [3]);
  const sdAid = optionalHex(o, 'sdAid', AID_LENGTHS);
  if (given === undefined && (counterBytes === undefined || sdAid === undefined)) {
    throw usage('give --card-challenge (from the INITIALIZE UPDATE response), or --counter (3 bytes) and --sd-aid AID to compute the pseudo-random one (i bit 0x10)');
  }
  if (given !== undefined && sdAid !== undefined) throw usage('give --card-challenge, or --counter and --sd-aid to compute it, not both');
  const keys = await secrets.keySet(o, [16, 24, 32], false);
  let sEnc: Uint8Array | undefined;
  let sMac: Uint8Array | undefined;
  let sRmac: Uint8Array | undefined;
  try {
    const length = hostChallenge.length === 16 ? 16 : 8;
    const cardChallenge = given ?? scp03CardChallenge(keys.enc, readUintBe(counterBytes!), sdAid!, length);
    const context = concat(hostChallenge, cardChallenge);
    sEnc = scp03SessionKey(keys.enc, SCP03_DERIVATION.S_ENC, context);
    sMac = scp03SessionKey(keys.mac, SCP03_DERIVATION.S_MAC, context);
    sRmac = scp03SessionKey(keys.mac, SCP03_DERIVATION.S_RMAC, context);
    return {
      ...(counterBytes === undefined ? {} : { sequenceCounter: toHex(counterBytes) }),
      hostChallenge: toHex(hostChallenge),
      cardChallenge: toHex(cardChallenge),
      cardChallengeSource: given === undefined ? 'pseudo-random (counter, SD AID)' : 'given',
      kcvAlgorithm: 'aes-ones',
      sEnc: keyWithKcv(sEnc, 'aes-ones'),
      sMac: keyWithKcv(sMac, 'aes-ones'),
      sRmac: keyWithKcv(sRmac, 'aes-ones'),
      cardCryptogram: toHex(scp03Cryptogram(sMac, SCP03_DERIVATION.CARD_CRYPTOGRAM, hostChallenge, cardChallenge)),
      hostCryptogram: toHex(scp03Cryptogram(sMac, SCP03_DERIVATION.HOST_CRYPTOGRAM, hostChallenge, cardChallenge)),
    };
  } finally {
    wipe(keys.enc, keys.mac, keys.dek);
    for (const k of [sEnc, sMac, sRmac]) if (k !== undefined) wipe(k);
  }
}
