/**
 * The fleet's phones: a card-factory batch of embedded SEs (STRICT_ESE, the payment package, the
 * PPSE and the ARA-M preloaded; ISD keys diversified from the batch masters), each SE in this
 * process, and the factory's key file: the batch masters as TR-31 blocks under the transport KEK the
 * factory shares with the MNO, and each card's ISD AID, KVN and key diversification data.
 *
 * `kind: 'uicc'`: the phones carry UICCs instead (STRICT_UICC): the factory adds per card an AES
 * SCP80 key set, the TARs of the ISD and an SCP81 PSK with its identity (the key file entry's
 * `tars`, `scp80`, `scp81`, each key a TR-31 block under the same transport KEK), and each card is
 * told where its admin server is (`adminDefaults`) and what to do when a secured SMS asks for an
 * admin session (`onAdminSessionRequest`).
 */
import { randomBytes } from 'node:crypto';
import type { ApduTransport } from '../../apdu/index.ts';
import { fromHex, toHex } from '../../bytes/index.ts';
import {
  ARA_M_AID, DEFAULT_APPLET_LIBRARY, MemoryCardStore, STRICT_ESE, STRICT_UICC, VirtualSecureElement, manufactureBatch,
  type AdminDefaults, type AdminSessionRequest, type KeyFileCard,
} from '../../se/index.ts';

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
  /** A UICC's OTA entry of the key file (TARs, SCP80 key sets, SCP81 PSK as TR-31 blocks); absent for an eSE. */
  readonly ota?: Pick<KeyFileCard, 'tars' | 'scp80' | 'scp81'>;
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
  /** `ese`: embedded SEs reached over the wallet relay; `uicc`: UICCs reached over the air. */
  readonly kind: 'ese' | 'uicc';
}

/** What kind of SE the phones carry, and for UICCs their admin-session wiring. */
export interface FleetOptions {
  /** SE ids `<prefix>-<n>` (default `se`). */
  readonly prefix?: string;
  /** Default `ese`. */
  readonly kind?: 'ese' | 'uicc';
  /** UICC: the admin server its agent reaches when a trigger does not name one (the TSM's SCP81 port). */
  readonly adminDefaults?: AdminDefaults;
  /** UICC: told each admin session a secured SMS asked the card for (start it with `se.startAdminSession`). */
  readonly onAdminSessionRequest?: (phone: FleetPhone, request: AdminSessionRequest) => void;
}

/** Manufactures `count` phones whose batch keys travel under `transportKek` (AES-256, the factory's copy). */
export function manufactureFleet(count: number, transportKek: Uint8Array, options: FleetOptions | string = {}): Fleet {
  const o: FleetOptions = typeof options === 'string' ? { prefix: options } : options;
  const uicc = o.kind === 'uicc';
  const batch = manufactureBatch({
    profile: uicc ? STRICT_UICC : STRICT_ESE, count, withPayment: true, withAraM: true,
    batchMasterKeys: { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) },
    transportKek: { algorithm: 'aes', key: transportKek },
    ...(uicc ? { otaKeys: { algorithm: 'aes' } } : {}),
  });
  const m = batch.keyFile.isd.masterKeys;
  const prefix = o.prefix ?? 'se';
  const phones = batch.cards.map((card, index): FleetPhone => {
    const made: { phone?: FleetPhone } = {}; // the card's callback names the phone it is in
    const notify = o.onAdminSessionRequest;
    const se = new VirtualSecureElement(new MemoryCardStore(card.state), {
      library: DEFAULT_APPLET_LIBRARY,
      ...(o.adminDefaults === undefined ? {} : { adminDefaults: o.adminDefaults }),
      ...(notify === undefined ? {} : { onAdminSessionRequest: (request: AdminSessionRequest) => void (made.phone === undefined ? undefined : notify(made.phone, request)) }),
    });
    const phone: FleetPhone = {
      index, seId: `${prefix}-${String(index + 1).padStart(5, '0')}`, se, transport: { transmit: (c) => Promise.resolve(se.process(c)) },
      isdAid: card.entry.isdAid, isdKvn: Number.parseInt(card.entry.isdKvn, 16), kdd: card.entry.kdd,
      ...(uicc ? { ota: { tars: card.entry.tars, scp80: card.entry.scp80, ...(card.entry.scp81 === undefined ? {} : { scp81: card.entry.scp81 }) } } : {}),
    };
    made.phone = phone;
    return phone;
  });
  return {
    phones, platform: uicc ? STRICT_UICC.id : 'strict-ese', araAid: toHex(ARA_M_AID), kind: uicc ? 'uicc' : 'ese',
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
