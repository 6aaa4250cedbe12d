/**
 * The demo's phones: a batch of embedded SEs from the card factory (each with the payment package and
 * the PPSE preloaded, ISD keys diversified from the batch's master keys), and the operator's side of
 * the delivery — the batch master keys imported into the HSM from the factory's key file, TR-31 blocks
 * under the transport KEK, each KCV checked against the file.
 */
import { randomBytes } from 'node:crypto';
import type { ApduTransport } from '../../apdu/index.ts';
import { fromHex } from '../../bytes/index.ts';
import { DEFAULT_APPLET_LIBRARY, MemoryCardStore, STRICT_ESE, VirtualSecureElement, manufactureBatch } from '../../se/index.ts';
import { CliError } from '../errors.ts';
import { DEMO_TENANTS, type DemoParties } from './ceremony.ts';

/** One phone: its SE (in this process) and what the operator's SE registry knows of it. */
export interface DemoPhone {
  readonly index: number;
  readonly se: VirtualSecureElement;
  readonly transport: ApduTransport;
  readonly isdAid: Uint8Array;
  readonly isdKvn: number;
  readonly kdd: Uint8Array;
}

export interface DemoFleet {
  readonly phones: readonly DemoPhone[];
  /** The batch master keys in the HSM (usage B3, derive only). */
  readonly masters: { readonly enc: string; readonly mac: string; readonly dek: string };
}

/** Manufactures `count` phones' SEs and imports the batch master keys into the operator's HSM. */
export async function manufacturePhones(parties: DemoParties, count: number): Promise<DemoFleet> {
  const batch = manufactureBatch({
    profile: STRICT_ESE, count, withPayment: true,
    batchMasterKeys: { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) },
    transportKek: { algorithm: 'aes', key: parties.manufacturerKek },
  });
  const ctx = parties.ctx(DEMO_TENANTS.tsm);
  const blocks = batch.keyFile.isd.masterKeys;
  const imported: Record<'enc' | 'mac' | 'dek', string> = { enc: '', mac: '', dek: '' };
  for (const role of ['enc', 'mac', 'dek'] as const) {
    const handle = await parties.hsm.importKeyBlock(parties.transportKek, blocks[role].keyBlock, { owner: DEMO_TENANTS.tsm, label: `ISD master ${role.toUpperCase()} (batch ${batch.keyFile.batch.id})` }, ctx);
    if (handle.kcv !== blocks[role].kcv.slice(0, handle.kcv.length)) throw new CliError('ERR_CLI_INPUT', `the key file's ${role} master KCV does not match the imported key`);
    imported[role] = handle.id;
  }
  const phones = batch.cards.map((card, index): DemoPhone => {
    const se = new VirtualSecureElement(new MemoryCardStore(card.state), { library: DEFAULT_APPLET_LIBRARY });
    return {
      index, se, transport: { transmit: (c) => Promise.resolve(se.process(c)) },
      isdAid: fromHex(card.entry.isdAid), isdKvn: Number.parseInt(card.entry.isdKvn, 16), kdd: fromHex(card.entry.kdd),
    };
  });
  return { phones, masters: imported };
}
