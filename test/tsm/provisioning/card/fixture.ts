/**
 * The world the card-operation tests run in: the payment world of the end-to-end tests (software HSM,
 * issuer keys, POS terminal) as the SP tenant; an MNO tenant with a factory batch of STRICT_ESE cards
 * (ISD keys diversified in the HSM from the batch masters, the ARA-M and the payment package
 * preloaded); the handover KBPK made by a ceremony in both tenants; the SP's SSD masters.
 */
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../../../src/bytes/index.ts';
import { DEFAULT_APPLET_LIBRARY, MASTERCARD_STYLE_AID, MemoryCardStore, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, STRICT_ESE, VISA_STYLE_AID, VirtualSecureElement, manufactureBatch, ARA_M_AID } from '../../../../src/se/index.ts';
import type { OperationContext } from '../../../../src/hsm/index.ts';
import type { SecureChannelSession } from '../../../../src/gp/index.ts';
import {
  createSsd,
  extraditeToSsd,
  handoverKbpkLabel,
  installInstance,
  openIsd,
  openSsd,
  personalizePayment,
  takeOverSsd,
  writeAccessRule,
  writePpseEntry,
  type SdKeyIds,
  type SsdHandover,
} from '../../../../src/tsm/provisioning/card/index.ts';
import type { SecureElementRecord } from '../../../../src/tsm/model.ts';
import type { PaymentCardRecord } from '../../../../src/tsm/index.ts';
import { importClear, splitKey, SPECS } from '../../../hsm/conformance/fixture.ts';
import { softwareSetup } from '../../../hsm/software-setup.ts';
import { CardPortTransport } from '../../../se/helpers.ts';
import { paymentWorld, spPinBlock, type PaymentWorld } from '../../../e2e/payment-world.ts';

export const MNO = 'mno-1';
export const SSD_AID = 'A000000151535350410001';
export const FINAL_KVN = 0x30;
export const WALLET_CERT_HASH = toHex(new Uint8Array(32).fill(0x5a));
export { ARA_M_AID, MASTERCARD_STYLE_AID, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, VISA_STYLE_AID };

/** One phone: its SE, the transport to it, and the operator's record of it. */
export interface Phone {
  readonly se: VirtualSecureElement;
  readonly transport: CardPortTransport;
  readonly record: SecureElementRecord;
}

export interface CardWorld {
  readonly world: PaymentWorld;
  readonly spCtx: OperationContext;
  readonly mnoCtx: OperationContext;
  readonly phones: readonly Phone[];
  /** The SP's SSD master keys (B3, SP tenant). */
  readonly ssdMasters: SdKeyIds;
  close(): Promise<void>;
}

/** Builds the world with `count` phones. */
export async function cardWorld(count = 1): Promise<CardWorld> {
  const world = await paymentWorld(softwareSetup);
  const t = world.t;
  const spCtx = t.ctx;
  const mnoCtx: OperationContext = { tenant: MNO, actor: 'test' };
  // the handover KBPK: one ceremony, the same value in both tenants, each labelled with the partner
  const kbpk = new Uint8Array(randomBytes(32));
  const kbpkSpec = { ...SPECS.kbpkA };
  await t.hsm.importComponents({ ...kbpkSpec, length: 32, owner: MNO, label: handoverKbpkLabel(spCtx.tenant) }, splitKey(t, 'A', kbpk), mnoCtx);
  await t.hsm.importComponents({ ...kbpkSpec, length: 32, owner: spCtx.tenant, label: handoverKbpkLabel(MNO) }, splitKey(t, 'A', kbpk), spCtx);
  // the factory batch and the MNO's ISD keys
  const batchMasters = { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) };
  const batch = manufactureBatch({ profile: STRICT_ESE, count, withPayment: true, withAraM: true, batchMasterKeys: batchMasters, transportKek: { algorithm: 'aes', key: new Uint8Array(randomBytes(32)) } });
  const masters = {
    enc: (await importClear(t, { ...SPECS.gpMaster, owner: MNO, label: 'ISD master ENC' }, batchMasters.enc, mnoCtx)).id,
    mac: (await importClear(t, { ...SPECS.gpMaster, owner: MNO, label: 'ISD master MAC' }, batchMasters.mac, mnoCtx)).id,
    dek: (await importClear(t, { ...SPECS.gpMaster, owner: MNO, label: 'ISD master DEK' }, batchMasters.dek, mnoCtx)).id,
  };
  const phones: Phone[] = [];
  for (const [i, card] of batch.cards.entries()) {
    const se = new VirtualSecureElement(new MemoryCardStore(card.state), { library: DEFAULT_APPLET_LIBRARY });
    const isd = await t.hsm.diversifyGpKeys(masters, fromHex(card.entry.kdd), 'kdf3', { owner: MNO }, mnoCtx);
    const record: SecureElementRecord = {
      seId: `se-${i}`, mno: MNO, platform: 'strict-ese', status: 'active',
      isd: { aid: card.entry.isdAid, scp: 3, kvn: Number.parseInt(card.entry.isdKvn, 16), keys: { enc: isd.enc.id, mac: isd.mac.id, dek: isd.dek.id } },
      araAid: toHex(ARA_M_AID), createdAt: new Date().toISOString(),
    };
    phones.push({ se, transport: new CardPortTransport(se), record });
  }
  const ssdMasters = {
    enc: (await t.hsm.generateKey({ ...SPECS.gpMaster, length: 16, owner: spCtx.tenant, label: 'SSD master ENC' }, spCtx)).id,
    mac: (await t.hsm.generateKey({ ...SPECS.gpMaster, length: 16, owner: spCtx.tenant, label: 'SSD master MAC' }, spCtx)).id,
    dek: (await t.hsm.generateKey({ ...SPECS.gpMaster, length: 16, owner: spCtx.tenant, label: 'SSD master DEK' }, spCtx)).id,
  };
  return { world, spCtx, mnoCtx, phones, ssdMasters, close: () => world.close() };
}

/** The card record of a visa-18 card with an offline PIN (the PIN block made by the SP under its PIN key). */
export function visaCard(world: PaymentWorld, pan = '4761730000000010'): PaymentCardRecord {
  return {
    pan, psn: '01', expiry: '301231', profile: 'visa-18', flow: 'gpo', issuerCountry: '250', label: 'OPENTSM VISA', priority: 1, keyDerivationIndex: 1,
    pin: { block: { key: world.pinKey, format: 0, block: spPinBlock('1234', pan), pan }, tryLimit: 3 },
  };
}

/** Runs `body` in a fresh ISD session of `phone` (MNO tenant) and closes it. */
export async function withIsd<T>(cw: CardWorld, phone: Phone, body: (isd: SecureChannelSession) => Promise<T>): Promise<T> {
  const isd = await openIsd(cw.world.t.hsm, cw.mnoCtx, phone.transport, phone.record);
  try {
    return await body(isd);
  } finally {
    isd.close();
  }
}

/** Runs `body` in a fresh SSD session of `phone` (SP tenant) and closes it. */
export async function withSsd<T>(cw: CardWorld, phone: Phone, keys: SdKeyIds, body: (ssd: SecureChannelSession) => Promise<T>): Promise<T> {
  const ssd = await openSsd(cw.world.t.hsm, cw.spCtx, phone.transport, { ssdAid: SSD_AID, kvn: FINAL_KVN, keys });
  try {
    return await body(ssd);
  } finally {
    ssd.close();
  }
}

/** createSsd by the MNO then takeOverSsd by the SP; the SP's keys and the handover (the session closed). */
export async function handOver(cw: CardWorld, phone: Phone): Promise<{ handover: SsdHandover; keys: SdKeyIds }> {
  const handover = await withIsd(cw, phone, (isd) => createSsd(cw.world.t.hsm, cw.mnoCtx, isd, { ssdAid: SSD_AID }, { spTenant: cw.spCtx.tenant }));
  const taken = await takeOverSsd(cw.world.t.hsm, cw.spCtx, phone.transport, { ssdAid: SSD_AID, ...handover, masters: cw.ssdMasters, finalKvn: FINAL_KVN, mnoTenant: MNO });
  taken.session.close();
  return { handover, keys: taken.keys };
}

/** The whole deploy of `card` to `phone` (handover, install, extradition, personalization, PPSE, rule); the SP's SSD keys. */
export async function deploy(cw: CardWorld, phone: Phone, card: PaymentCardRecord, aid: Uint8Array = VISA_STYLE_AID): Promise<SdKeyIds> {
  const { keys } = await handOver(cw, phone);
  await withSsd(cw, phone, keys, (ssd) => installInstance(ssd, { loadFileAid: PAYMENT_LOAD_FILE_AID, moduleAid: PAYMENT_MODULE_AID, aid }));
  await withIsd(cw, phone, (isd) => extraditeToSsd(isd, { aid, ssdAid: SSD_AID }));
  await withSsd(cw, phone, keys, (ssd) => personalizePayment(cw.world.t.hsm, cw.spCtx, ssd, { aid, card, issuer: cw.world.issuerKeys }));
  await withIsd(cw, phone, async (isd) => {
    await writePpseEntry(isd, aid, card);
    await writeAccessRule(isd, phone.record.araAid!, { aid, certHash: WALLET_CERT_HASH });
  });
  return keys;
}
