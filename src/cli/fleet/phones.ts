/**
 * The fleet's phones: a card-factory batch of embedded SEs (STRICT_ESE, the payment package, the
 * PPSE and the ARA-M preloaded; ISD keys diversified from the batch masters), each SE in this
 * process, and the factory's key file: the batch masters as TR-31 blocks under the transport KEK the
 * factory shares with the MNO, and each card's ISD AID, KVN and key diversification data.
 */
import { randomBytes } from 'node:crypto';
import type { ApduTransport } from '../../apdu/index.ts';
import { fromHex, toHex } from '../../bytes/index.ts';
import { ARA_M_AID, DEFAULT_APPLET_LIBRARY, MemoryCardStore, STRICT_ESE, VirtualSecureElement, manufactureBatch } from '../../se/index.ts';

/** One phone: its SE and what the factory's key file says of it. */
export interface FleetPhone {
  readonly index: number;
  readonly seId: string;
  readonly se: VirtualSecureElement;
  /** The phone's own line to its SE (the wallet's OMAPI channel, in this process). */
  readonly transport: ApduTransport;
  readonly isdAid: string;
  readonly isdKvn: number;
  readonly kdd: string;
}

/** The batch's master keys as the factory delivers them: TR-31 blocks under the transport KEK, with KCVs. */
export interface FleetKeyFile {
  readonly batchId: string;
  readonly masters: Record<'enc' | 'mac' | 'dek', { readonly keyBlock: string; readonly kcv: string }>;
}

export interface Fleet {
  readonly phones: readonly FleetPhone[];
  readonly keyFile: FleetKeyFile;
  /** The platform profile name the MNO registers the SEs under. */
  readonly platform: string;
  readonly araAid: string;
}

/** Manufactures `count` phones whose batch keys travel under `transportKek` (AES-256, the factory's copy); SE ids `<prefix>-<n>`. */
export function manufactureFleet(count: number, transportKek: Uint8Array, prefix = 'se'): Fleet {
  const batch = manufactureBatch({
    profile: STRICT_ESE, count, withPayment: true, withAraM: true,
    batchMasterKeys: { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) },
    transportKek: { algorithm: 'aes', key: transportKek },
  });
  const m = batch.keyFile.isd.masterKeys;
  const phones = batch.cards.map((card, index): FleetPhone => {
    const se = new VirtualSecureElement(new MemoryCardStore(card.state), { library: DEFAULT_APPLET_LIBRARY });
    return {
      index, seId: `${prefix}-${String(index + 1).padStart(5, '0')}`, se, transport: { transmit: (c) => Promise.resolve(se.process(c)) },
      isdAid: card.entry.isdAid, isdKvn: Number.parseInt(card.entry.isdKvn, 16), kdd: card.entry.kdd,
    };
  });
  return {
    phones, platform: 'strict-ese', araAid: toHex(ARA_M_AID),
    keyFile: {
      batchId: batch.keyFile.batch.id,
      masters: { enc: { keyBlock: m.enc.keyBlock, kcv: m.enc.kcv }, mac: { keyBlock: m.mac.keyBlock, kcv: m.mac.kcv }, dek: { keyBlock: m.dek.keyBlock, kcv: m.dek.kcv } },
    },
  };
}

/** The bytes of a key diversification data hex string (for callers that need them). */
export function kddBytes(phone: FleetPhone): Uint8Array {
  return fromHex(phone.kdd);
}
